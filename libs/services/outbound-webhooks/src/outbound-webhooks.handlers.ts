import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  Category,
  Consumer,
  eventKey,
  type GenerationCanceled,
  type GenerationCompleted,
  type GenerationCreated,
  type GenerationFailed,
  type Recorded,
  type RecordedEvent,
  type RequestWebhook,
} from '@darkroom/contracts';
import { OnEvent, type EventContext, type EventMessage } from '@darkroom/messaging';
import type { MessageOf } from '@darkroom/runtime';
import { deriveId } from '@darkroom/kernel';
import { countItemEnded, type BatchEnd } from '@darkroom/read-model-batches';
import { evolveGenerationRow, isGenerationRowEvent, toTaskResource, type GenerationRow } from '@darkroom/read-model-generations';
import { OUTBOUND_WEBHOOKS_OPTIONS, type OutboundWebhooksOptions } from './outbound-webhooks.options';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { messageIdOf, webhookEventTypeOf } from './webhook-events';
import { newSigningSecret } from './webhook-signer';

/** The bus consumer that turns terminal task events into deliveries; hosted by the gateway process. */
export const OUTBOUND_WEBHOOKS = Consumer.outboundWebhooks;

type Terminal = GenerationCompleted | GenerationFailed | GenerationCanceled;

const outcomeOf = { GenerationCompleted: 'completed', GenerationFailed: 'failed', GenerationCanceled: 'canceled' } as const;

/**
 * On a terminal task event, one delivery row per enabled endpoint of the account subscribed
 * to it (and registered before the event), and one to the task's own webhook if its request
 * named one for this state, inserted in the inbox transaction with ON CONFLICT DO NOTHING: a redelivered or
 * replayed event creates nothing more. The payload is fixed here, so every attempt and
 * redelivery sends the same bytes.
 */
@Controller()
export class OutboundWebhooksHandlers {
  constructor(
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly deliveries: WebhookDeliveriesRepository,
    @Inject(OUTBOUND_WEBHOOKS_OPTIONS) private readonly options: OutboundWebhooksOptions,
  ) {}

  @OnEvent(OUTBOUND_WEBHOOKS, eventKey(Category.generation, 'GenerationCompleted'))
  completed(@Payload() message: MessageOf<GenerationCompleted>, @Ctx() ctx: EventContext): Promise<void> {
    return this.enqueue(message, ctx);
  }

  @OnEvent(OUTBOUND_WEBHOOKS, eventKey(Category.generation, 'GenerationFailed'))
  failed(@Payload() message: MessageOf<GenerationFailed>, @Ctx() ctx: EventContext): Promise<void> {
    return this.enqueue(message, ctx);
  }

  @OnEvent(OUTBOUND_WEBHOOKS, eventKey(Category.generation, 'GenerationCanceled'))
  canceled(@Payload() message: MessageOf<GenerationCanceled>, @Ctx() ctx: EventContext): Promise<void> {
    return this.enqueue(message, ctx);
  }

  /**
   * The task as `GET /v1/generations/{id}` shows it; each asset also carries a `signed_url`
   * that works without a key until `signed_url_expires_at`, counted from the event's time so a
   * replay builds the same bytes.
   */
  private resourceOf(task: GenerationRow, recordedAt: string) {
    const resource = toTaskResource(task, this.options.publicBaseUrl);
    const assetUrls = this.options.assetUrls;
    if (!assetUrls) return resource;
    const expiresAt = new Date(Date.parse(recordedAt) + assetUrls.ttlSeconds * 1000);
    const assets = resource.assets.map((asset) => ({
      ...asset,
      ...(asset.expired ? {} : { signed_url: assetUrls.signer.url(this.options.publicBaseUrl, asset.id, expiresAt), signed_url_expires_at: expiresAt.toISOString() }),
    }));
    return { ...resource, assets };
  }

  private async enqueue(message: EventMessage & { data: Terminal['data'] }, ctx: EventContext): Promise<void> {
    await this.enqueueTask(message, ctx);
    const ended = await countItemEnded(ctx.tx, message.data.taskId, outcomeOf[message.type as Terminal['type']]);
    if (ended) await this.enqueueBatchEnd(ended, message, ctx);
  }

  /**
   * `batch.ended`, with the last item's end: its id is derived from the batch, so it is one
   * message whatever the redeliveries; the row it is sent from carries the batch id as task.
   */
  private async enqueueBatchEnd(ended: BatchEnd, message: EventMessage, ctx: EventContext): Promise<void> {
    const endpoints = await this.endpoints.subscribed(ctx.tx, ended.accountId, 'batch.ended', message.recordedAt);
    if (endpoints.length === 0) return;
    const eventId = deriveId(ended.batchId, 'batch.ended');
    const data = { id: ended.batchId, object: 'batch', status: 'ended', counts: ended.counts };
    await this.deliveries.enqueue(ctx.tx, {
      endpointIds: endpoints.map((endpoint) => endpoint.id),
      accountId: ended.accountId,
      eventId,
      messageId: messageIdOf(eventId),
      eventType: 'batch.ended',
      taskId: ended.batchId,
      payload: JSON.stringify({ type: 'batch.ended', timestamp: message.recordedAt, data }),
    });
  }

  private async enqueueTask(message: EventMessage & { data: Terminal['data'] }, ctx: EventContext): Promise<void> {
    const eventType = webhookEventTypeOf[message.type as Terminal['type']];
    const { taskId, accountId } = message.data;
    const endpoints = await this.endpoints.subscribed(ctx.tx, accountId, eventType, message.recordedAt);
    const events = await ctx.store.readCorrelated(taskId);
    const webhook = requestWebhookOf(events);
    const toRequest = webhook?.events.includes(eventType) ? webhook.url : undefined;
    if (endpoints.length === 0 && toRequest === undefined) return;
    const task = taskAsOf(events, message.eventId);
    if (!task) throw new Error(`Task ${taskId} has no GenerationCreated before event ${message.eventId}`);
    const payload = JSON.stringify({ type: eventType, timestamp: message.recordedAt, data: this.resourceOf(task, message.recordedAt) });
    const delivery = { accountId, eventId: message.eventId, messageId: messageIdOf(message.eventId), eventType, taskId, payload };
    if (endpoints.length > 0) await this.deliveries.enqueue(ctx.tx, { ...delivery, endpointIds: endpoints.map((endpoint) => endpoint.id) });
    if (toRequest !== undefined) {
      await this.endpoints.defaultSecret(accountId, newSigningSecret, ctx.tx);
      await this.deliveries.enqueueForRequest(ctx.tx, { ...delivery, url: toRequest });
    }
  }
}

/** The webhook the task's request asked for, from its GenerationCreated. */
export function requestWebhookOf(events: readonly RecordedEvent[]): RequestWebhook | undefined {
  const created = events.find((event) => event.type === 'GenerationCreated') as Recorded<GenerationCreated> | undefined;
  return created?.data.webhook;
}

/**
 * The task as the read model had it right after `eventId`: its events folded up to and
 * including that one, so a replay builds the same payload as the first delivery.
 */
export function taskAsOf(events: readonly RecordedEvent[], eventId: string): GenerationRow | undefined {
  const end = events.findIndex((event) => event.eventId === eventId);
  return events
    .slice(0, end === -1 ? events.length : end + 1)
    .filter(isGenerationRowEvent)
    .reduce<GenerationRow | undefined>(evolveGenerationRow, undefined);
}
