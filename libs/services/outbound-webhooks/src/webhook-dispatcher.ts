import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { CommitSignal } from '@darkroom/event-store';
import type { Clock } from '@darkroom/kernel';
import { withLogContext } from '@darkroom/logging';
import type { DarkroomMetrics } from '@darkroom/observability';
import { ClaimLoop } from '@darkroom/runtime';
import type { SafePoster } from '@darkroom/safe-fetch';
import type { ClaimedDelivery, WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { signedHeaders } from './webhook-signer';

/** Pause before a delivery whose attempt could not be recorded is tried again. */
const ERROR_PAUSE_MS = 2000;

export interface WebhookDispatcherOptions {
  /** Unique per process; names the lease holder. */
  readonly owner: string;
  readonly idleMs: number;
  readonly maxInFlight: number;
  /** One attempt's timeout; leases outlive it. */
  readonly timeoutMs: number;
  readonly scheduleMs: readonly number[];
  readonly disableAfterMs: number;
  readonly clock: Clock;
  /** Wakes the claimer on commit (deliveries are written with events); `idleMs` stays as the safety net. */
  readonly commits?: CommitSignal;
  /** Times each attempt into `darkroom_outbound_webhook_duration_seconds`. */
  readonly metrics?: DarkroomMetrics;
}

/**
 * Claims due deliveries from `webhook_deliveries`, sends each signed (outside any
 * transaction, through the SSRF-safe poster), and records the attempt. Several gateways
 * share the table; nothing per delivery lives in memory beyond the requests in flight.
 */
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly inFlight = new Set<Promise<void>>();
  private readonly loop: ClaimLoop;

  constructor(
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly poster: SafePoster,
    private readonly options: WebhookDispatcherOptions,
  ) {
    this.loop = new ClaimLoop(() => this.tick(), {
      idleMs: options.idleMs,
      commits: options.commits,
      onError: (error) => this.logger.error(`claim round failed: ${String(error)}`),
    });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
    await Promise.allSettled([...this.inFlight]);
  }

  /** One claim round; resolves with how many deliveries were started. */
  async tick(): Promise<number> {
    const free = this.options.maxInFlight - this.inFlight.size;
    const claimed = await this.deliveries.claim(Math.min(free, 50), this.options.owner, this.options.timeoutMs * 2 + 30_000);
    for (const delivery of claimed) this.start(delivery);
    return claimed.length;
  }

  /** Sends one delivery and records what happened. */
  async send(delivery: ClaimedDelivery): Promise<void> {
    const attemptedAt = this.options.clock.now();
    const started = performance.now();
    const result = await this.poster.post(delivery.url, delivery.payload, signedHeaders(delivery.secret, delivery.messageId, attemptedAt, delivery.payload));
    const durationMs = Math.round(performance.now() - started);
    const attempt = !result.ok ? 'network_error' : result.status >= 200 && result.status < 300 ? 'succeeded' : 'http_error';
    this.options.metrics?.webhookDeliveryDuration.observe({ outcome: attempt }, durationMs / 1000);
    const outcome = result.ok
      ? {
          statusCode: result.status,
          ...(result.retryAfterMs === undefined ? {} : { retryAfterMs: result.retryAfterMs }),
          ...(result.status >= 200 && result.status < 300 ? {} : { error: `HTTP ${result.status}${result.body ? `: ${result.body.slice(0, 200)}` : ''}` }),
        }
      : { error: `${result.error.code}: ${result.error.message}` };
    const recorded = await this.deliveries.record(delivery, { ...outcome, attemptedAt, durationMs }, this.options);
    if (recorded && recorded.status !== 'succeeded') {
      this.logger.warn(`[${delivery.taskId}] webhook ${delivery.messageId} to endpoint ${delivery.endpointId}: ${outcome.error} (${recorded.status})`);
    }
    if (recorded?.disabledEndpoint) this.logger.warn(`[${delivery.taskId}] endpoint ${delivery.endpointId} disabled: failing for too long`);
  }

  private start(delivery: ClaimedDelivery): void {
    const work = withLogContext({ taskId: delivery.taskId, correlationId: delivery.taskId }, () => this.send(delivery))
      .catch(async (error: unknown) => {
        this.logger.error(`[${delivery.taskId}] webhook ${delivery.messageId}: ${String(error)}`);
        await this.deliveries.release(delivery.id, this.options.owner, ERROR_PAUSE_MS).catch(() => undefined);
      })
      .finally(() => {
        this.inFlight.delete(work);
        this.loop.wake(10); // a slot is free: claim again soon
      });
    this.inFlight.add(work);
  }

}
