import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Relay } from '@darkroom/messaging';
import type { Platform } from './platform';
import { PLATFORM } from './tokens';

/**
 * Every process runs a relay; the relay's lock makes one of them active and the others
 * wait, so losing the active process hands publishing over within a poll interval.
 */
@Injectable()
export class RelayHost implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RelayHost.name);
  /** Read by readiness and metrics (activity, lag). */
  readonly relay: Relay;

  constructor(@Inject(PLATFORM) platform: Platform) {
    this.relay = new Relay({
      sql: platform.sql,
      store: platform.store,
      bus: platform.bus,
      pollIntervalMs: platform.pollIntervalMs,
      commits: platform.commits,
      clock: platform.clock,
      onError: (error: unknown) => this.logger.error(`relay: ${String(error)}`),
    });
  }

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop();
  }
}
