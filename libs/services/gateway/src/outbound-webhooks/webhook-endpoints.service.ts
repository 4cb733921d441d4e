import { Inject, Injectable } from '@nestjs/common';
import { DomainError, newId } from '@darkroom/kernel';
import { SafePoster } from '@darkroom/safe-fetch';
import { isUuid } from '../http/ids';
import { WebhookDeliveriesRepository, type DeliveryRow } from './webhook-deliveries.repository';
import type { CreateWebhookEndpointDto } from './webhook-endpoint.dto';
import { WebhookEndpointsRepository, type WebhookEndpointRow } from './webhook-endpoints.repository';
import { WEBHOOK_EVENT_TYPES } from './webhook-events';
import { newSigningSecret } from './webhook-signer';
import { toDeliveryResource } from './webhook.resources';

/** Most endpoints one account may register. */
export const MAX_ENDPOINTS_PER_ACCOUNT = 20;

const endpointNotFound = (id: string) => new DomainError('webhook_endpoint_not_found', 'not_found', `No webhook endpoint ${id}.`);
const deliveryNotFound = (id: string) => new DomainError('webhook_delivery_not_found', 'not_found', `No webhook delivery ${id}.`);

/** The account's endpoints and their delivery log; another account's ids are not found. */
@Injectable()
export class WebhookEndpointsService {
  constructor(
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly deliveries: WebhookDeliveriesRepository,
    @Inject(SafePoster) private readonly poster: SafePoster,
  ) {}

  async create(accountId: string, dto: CreateWebhookEndpointDto): Promise<WebhookEndpointRow> {
    const refusal = this.poster.refusal(dto.url);
    if (refusal) {
      throw new DomainError('invalid_request', 'validation', 'The request has 1 invalid field(s).', {
        errors: [{ field: 'url', message: `url is not allowed: ${refusal.message} (${refusal.code})` }],
      });
    }
    if ((await this.endpoints.list(accountId)).length >= MAX_ENDPOINTS_PER_ACCOUNT) {
      throw new DomainError('too_many_webhook_endpoints', 'conflict', `An account can have at most ${MAX_ENDPOINTS_PER_ACCOUNT} webhook endpoints.`);
    }
    const events = WEBHOOK_EVENT_TYPES.filter((type) => (dto.events ?? WEBHOOK_EVENT_TYPES).includes(type));
    return this.endpoints.create({ id: newId(), accountId, url: dto.url, events, description: dto.description ?? null, secret: newSigningSecret() });
  }

  list(accountId: string): Promise<WebhookEndpointRow[]> {
    return this.endpoints.list(accountId);
  }

  async get(accountId: string, id: string): Promise<WebhookEndpointRow> {
    const endpoint = isUuid(id) ? await this.endpoints.get(accountId, id) : undefined;
    if (!endpoint) throw endpointNotFound(id);
    return endpoint;
  }

  async delete(accountId: string, id: string): Promise<void> {
    if (!isUuid(id) || !(await this.endpoints.delete(accountId, id))) throw endpointNotFound(id);
  }

  async enable(accountId: string, id: string): Promise<WebhookEndpointRow> {
    const endpoint = isUuid(id) ? await this.endpoints.enable(accountId, id) : undefined;
    if (!endpoint) throw endpointNotFound(id);
    return endpoint;
  }

  async deliveriesOf(accountId: string, id: string, limit: number, startingAfter?: string) {
    const endpoint = await this.get(accountId, id);
    const rows = await this.deliveries.list(endpoint.id, limit + 1, startingAfter);
    const page = rows.slice(0, limit);
    return { data: await this.withAttempts(page), has_more: rows.length > limit };
  }

  /** Sends the delivery again (same `webhook-id` and body); a disabled endpoint must be enabled first. */
  async redeliver(accountId: string, id: string, deliveryId: string) {
    const endpoint = await this.get(accountId, id);
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

  private async withAttempts(rows: readonly DeliveryRow[]) {
    const attempts = await this.deliveries.attempts(rows.map((row) => row.id));
    return rows.map((row) => toDeliveryResource(row, attempts.get(row.id) ?? []));
  }
}
