import { Inject, Injectable } from '@nestjs/common';
import {
  WEBHOOK_EVENT_TYPES,
  WebhookEndpoints,
  type NewWebhookEndpoint,
  type WebhookDeliveryResource,
  type WebhookEndpointResource,
} from '@darkroom/contracts';
import { DomainError, isUuid, newId, invalidRequest } from '@darkroom/kernel';
import { SafePoster } from '@darkroom/safe-fetch';
import { WebhookDeliveriesRepository, type DeliveryRow } from './webhook-deliveries.repository';
import { WebhookEndpointsRepository, type WebhookEndpointRow } from './webhook-endpoints.repository';
import { newSigningSecret } from './webhook-signer';
import { toDeliveryResource, toEndpointResource } from './webhook.resources';

/** Most endpoints one account may register. */
export const MAX_ENDPOINTS_PER_ACCOUNT = 20;

const endpointNotFound = (id: string) => new DomainError('webhook_endpoint_not_found', 'not_found', `No webhook endpoint ${id}.`);
const deliveryNotFound = (id: string) => new DomainError('webhook_delivery_not_found', 'not_found', `No webhook delivery ${id}.`);

/** The account's endpoints and their delivery log; another account's ids are not found. */
@Injectable()
export class WebhookEndpointsService implements WebhookEndpoints {
  constructor(
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly deliveries: WebhookDeliveriesRepository,
    @Inject(SafePoster) private readonly poster: SafePoster,
  ) {}

  async create(accountId: string, endpoint: NewWebhookEndpoint): Promise<WebhookEndpointResource & { readonly secret: string }> {
    await this.checkUrl(endpoint.url, 'url');
    if ((await this.endpoints.list(accountId)).length >= MAX_ENDPOINTS_PER_ACCOUNT) {
      throw new DomainError('too_many_webhook_endpoints', 'conflict', `An account can have at most ${MAX_ENDPOINTS_PER_ACCOUNT} webhook endpoints.`);
    }
    const events = WEBHOOK_EVENT_TYPES.filter((type) => (endpoint.events ?? WEBHOOK_EVENT_TYPES).includes(type));
    const row = await this.endpoints.create({ id: newId(), accountId, url: endpoint.url, events, description: endpoint.description ?? null, secret: newSigningSecret() });
    return { ...toEndpointResource(row), secret: row.secret };
  }

  async list(accountId: string): Promise<WebhookEndpointResource[]> {
    return (await this.endpoints.list(accountId)).map(toEndpointResource);
  }

  async get(accountId: string, id: string): Promise<WebhookEndpointResource> {
    return toEndpointResource(await this.row(accountId, id));
  }

  async secret(accountId: string, id: string): Promise<string> {
    return (await this.row(accountId, id)).secret;
  }

  async delete(accountId: string, id: string): Promise<void> {
    if (!isUuid(id) || !(await this.endpoints.delete(accountId, id))) throw endpointNotFound(id);
  }

  async enable(accountId: string, id: string): Promise<WebhookEndpointResource> {
    const endpoint = isUuid(id) ? await this.endpoints.enable(accountId, id) : undefined;
    if (!endpoint) throw endpointNotFound(id);
    return toEndpointResource(endpoint);
  }

  async deliveriesOf(accountId: string, id: string, limit: number, startingAfter?: string) {
    const endpoint = await this.row(accountId, id);
    const rows = await this.deliveries.list(endpoint.id, limit + 1, startingAfter);
    const page = rows.slice(0, limit);
    return { data: await this.withAttempts(page), has_more: rows.length > limit };
  }

  async redeliver(accountId: string, id: string, deliveryId: string): Promise<WebhookDeliveryResource> {
    const endpoint = await this.row(accountId, id);
    if (!isUuid(deliveryId) || !(await this.deliveries.get(endpoint.id, deliveryId))) throw deliveryNotFound(deliveryId);
    if (!endpoint.enabled) {
      throw new DomainError(
        'webhook_endpoint_disabled',
        'conflict',
        `The endpoint is disabled (${endpoint.disabledReason ?? 'no reason recorded'}); enable it with POST /v1/webhook_endpoints/${endpoint.id}/enable first.`,
      );
    }
    const row = await this.deliveries.redeliver(endpoint.id, deliveryId);
    if (!row) throw deliveryNotFound(deliveryId);
    return (await this.withAttempts([row]))[0];
  }

  async checkUrl(url: string, field: string): Promise<void> {
    const refusal = this.poster.refusal(url);
    if (refusal) {
      throw invalidRequest([{ field, message: `${field} is not allowed: ${refusal.message} (${refusal.code})` }]);
    }
    // Checked again at every connect; refused here too so a bad URL is never stored.
    const notPublic = await this.poster.hostRefusal(url);
    if (notPublic) {
      const message = `${field} is not allowed: ${notPublic.message} (${notPublic.code})`;
      throw new DomainError('webhook_url_not_allowed', 'validation', 'The webhook URL does not name a public host.', { errors: [{ field, message }] });
    }
  }

  defaultSecret(accountId: string): Promise<string> {
    return this.endpoints.defaultSecret(accountId, newSigningSecret);
  }

  async requestDeliveries(accountId: string, limit: number, startingAfter?: string) {
    const rows = await this.deliveries.listForRequests(accountId, limit + 1, startingAfter);
    return { data: await this.withAttempts(rows.slice(0, limit)), has_more: rows.length > limit };
  }

  private async row(accountId: string, id: string): Promise<WebhookEndpointRow> {
    const endpoint = isUuid(id) ? await this.endpoints.get(accountId, id) : undefined;
    if (!endpoint) throw endpointNotFound(id);
    return endpoint;
  }

  private async withAttempts(rows: readonly DeliveryRow[]): Promise<WebhookDeliveryResource[]> {
    const attempts = await this.deliveries.attempts(rows.map((row) => row.id));
    return rows.map((row) => toDeliveryResource(row, attempts.get(row.id) ?? []));
  }
}
