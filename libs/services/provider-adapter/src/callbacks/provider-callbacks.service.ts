import { Inject, Injectable } from '@nestjs/common';
import {
  ProviderCallbacks,
  providerJobStream,
  type ProviderCallback,
  type ProviderCallbackReceipt,
  type ProviderJobEvent,
  type ProviderOutput,
} from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import { providerJobDecider, type ProviderJobCommand } from '@darkroom/domain-provider-job';
import type { EventStore } from '@darkroom/event-store';
import { deriveId, DomainError, fold, isUuid, newId, type Clock, type Untimed } from '@darkroom/kernel';
import { handleOnce } from '@darkroom/messaging';
import type { ObjectStorage } from '@darkroom/object-storage';
import { ProviderPayloadError, type ImageProvider, type WebhookDelivery, type WebhookHeaders } from '@darkroom/providers';
import { CLOCK, EVENT_STORE, OBJECT_STORAGE, SQL } from '@darkroom/runtime';
import { stageOutputs } from '../staging';
import { PROVIDER_CALLBACK_OPTIONS, type ProviderCallbackOptions } from './provider-callback.options';

const notFound = () => new DomainError('provider_job_not_found', 'not_found', 'No such provider job.');

/**
 * Provider callbacks (DESIGN §5.5): the signature is checked on the raw body before anything
 * else, an exact replay is dropped by its delivery id (the inbox table, in the same
 * transaction as the events), and what the provider says goes through the provider-job
 * decider, so a webhook racing a poll settles once.
 */
@Injectable()
export class ProviderCallbacksService extends ProviderCallbacks {
  private readonly providers: ReadonlyMap<string, ImageProvider>;

  constructor(
    @Inject(PROVIDER_CALLBACK_OPTIONS) options: ProviderCallbackOptions,
    @Inject(SQL) private readonly sql: Sql,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(OBJECT_STORAGE) private readonly objects: ObjectStorage,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    super();
    const webhookProviders = new Set(options.webhookProviders);
    this.providers = new Map(options.providers.filter((p) => webhookProviders.has(p.name)).map((p) => [p.name, p]));
  }

  async receive({ provider: providerName, query, headers, rawBody }: ProviderCallback): Promise<ProviderCallbackReceipt> {
    const provider = this.providers.get(providerName);
    if (!provider) throw new DomainError('unknown_provider', 'not_found', `No webhooks are configured for "${providerName}".`);
    if (!rawBody || !(await provider.verifyWebhook(headers, rawBody))) {
      throw new DomainError('webhook_signature_invalid', 'unauthorized', 'The webhook signature or timestamp is not valid.');
    }
    const delivery = this.parse(provider, headers, rawBody);
    const attempt = Number(query.attempt);
    if (!query.task || !isUuid(query.task) || !Number.isInteger(attempt) || attempt < 1) throw notFound();
    const stream = providerJobStream(query.task, attempt);
    const job = fold(providerJobDecider, await this.store.readStream<ProviderJobEvent>(stream));
    if (job.status === 'initial' || job.providerJobId !== delivery.providerJobId) throw notFound();

    const outputs = delivery.observation.kind === 'succeeded' && !delivery.confirmByPoll
      ? await stageOutputs(this.objects, query.task, attempt, delivery.observation.images)
      : [];
    // The same inbox as the bus consumers: an exact replay of a delivery changes nothing.
    const deliveryId = { eventId: deriveId(providerName, delivery.deliveryId) };
    const ran = await handleOnce(this.sql, `webhook.${providerName}`, deliveryId, async (_tx, txStore) => {
      for (const command of this.commandsFor(delivery, outputs)) {
        await txStore.handle(stream, providerJobDecider, { ...command, now: this.clock.now().toISOString() } as ProviderJobCommand, {
          metadata: { correlationId: job.taskId, accountId: job.accountId, schemaVersion: 1 },
          eventId: () => newId(),
        });
      }
    });
    return { received: true, duplicate: !ran } as const;
  }

  private parse(provider: ImageProvider, headers: WebhookHeaders, rawBody: Buffer): WebhookDelivery {
    try {
      return provider.parseWebhook(headers, rawBody);
    } catch (error) {
      if (error instanceof ProviderPayloadError) throw new DomainError('malformed_webhook', 'validation', error.message);
      throw error;
    }
  }

  /**
   * A hint-only callback (an unconfirmed signing scheme) is recorded as an observation; the
   * provider-adapter then polls at once and the poll is the source of truth.
   */
  private commandsFor(delivery: WebhookDelivery, outputs: readonly ProviderOutput[]): Untimed<ProviderJobCommand>[] {
    const { observation } = delivery;
    if (delivery.confirmByPoll || observation.kind === 'pending') {
      return [{ type: 'ObserveProviderJob', providerStatus: observation.providerStatus, source: 'webhook' }];
    }
    switch (observation.kind) {
      case 'succeeded':
        return [{ type: 'SucceedProviderJob', outputs }];
      case 'failed':
        return [{ type: 'FailProviderJob', ...observation.failure }];
      case 'canceled':
        return [{ type: 'CancelProviderJob' }];
    }
  }
}
