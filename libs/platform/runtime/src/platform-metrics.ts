import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { epochMs } from '@darkroom/kernel';
import { cachedFor, DarkroomMetrics } from '@darkroom/observability';
import type { Platform } from './platform';
import { ReadinessService } from './readiness.service';
import { RelayHost } from './relay.host';
import { PLATFORM } from './tokens';

/**
 * The gauges every process reports at scrape time: relay and projection lag (events behind
 * the head of the log), the consumers' queue depths and dead letters, and readiness.
 */
@Injectable()
export class PlatformMetrics implements OnApplicationBootstrap {
  constructor(
    @Inject(PLATFORM) private readonly platform: Platform,
    private readonly metrics: DarkroomMetrics,
    private readonly relayHost: RelayHost,
    private readonly readiness: ReadinessService,
  ) {}

  onApplicationBootstrap(): void {
    const { metrics, platform } = this;
    metrics.scrapeGauge('darkroom_relay_lag_events', 'Events committed after the relay checkpoint, not yet published.', [], async (set) => {
      set({}, (await this.relayHost.relay.lag()).pending);
    });
    metrics.scrapeGauge('darkroom_relay_active', '1 while this process holds the relay lock and publishes.', [], async (set) => {
      set({}, this.relayHost.relay.isActive ? 1 : 0);
    });
    metrics.scrapeGauge(
      'darkroom_projection_lag_events',
      'Events a projection reads that are after its checkpoint, by projection.',
      ['projection'],
      async (set) => {
        for (const host of this.readiness.projectionHosts()) {
          for (const [index, projection] of host.projections.entries()) {
            set({ projection: projection.name }, await this.projectionLag(host.runners[index].checkpointName, projection.eventTypes));
          }
        }
      },
    );
    const depths = platform.bus.queueDepths?.bind(platform.bus);
    if (depths) {
      const byConsumer = cachedFor(500, depths, epochMs(platform.clock));
      metrics.scrapeGauge('darkroom_queue_messages', 'Messages ready in a consumer queue.', ['consumer'], async (set) => {
        for (const depth of await byConsumer()) set({ consumer: depth.consumer }, depth.ready);
      });
      metrics.scrapeGauge('darkroom_queue_retrying_messages', 'Messages waiting out a retry delay.', ['consumer'], async (set) => {
        for (const depth of await byConsumer()) set({ consumer: depth.consumer }, depth.retrying);
      });
      metrics.scrapeGauge('darkroom_dead_letters', 'Messages in a consumer’s dead-letter queue.', ['consumer'], async (set) => {
        for (const depth of await byConsumer()) set({ consumer: depth.consumer }, depth.deadLettered);
      });
    }
    metrics.scrapeGauge('darkroom_ready', '1 when /health/ready passes, by check.', ['check'], async (set) => {
      const { checks } = await this.readiness.readiness();
      for (const [check, result] of Object.entries(checks)) set({ check }, result.ok ? 1 : 0);
    });
  }

  private async projectionLag(checkpoint: string, types: readonly string[]): Promise<number> {
    const { rows } = await this.platform.sql.query<{ behind: number }>(
      `SELECT count(*)::int AS behind FROM events
        WHERE type = ANY($2::text[])
          AND (transaction_id, global_position) >
              (coalesce((SELECT transaction_id FROM checkpoints WHERE name = $1), '0'::xid8),
               coalesce((SELECT global_position FROM checkpoints WHERE name = $1), 0))`,
      [checkpoint, [...types]],
    );
    return rows[0]?.behind ?? 0;
  }
}
