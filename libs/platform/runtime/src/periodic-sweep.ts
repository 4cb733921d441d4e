import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ClaimLoop } from './claim-loop';

/**
 * A pass that runs `intervalMs` after the previous one ended, while the application runs (deadline, reservation
 * expiry, retention): never two passes at once in one process, a failed pass logged and
 * retried at the next tick, and shutdown waits for the pass in progress. Safety between
 * processes is the subclass's (its decider decides each candidate under the stream's lock).
 */
export abstract class PeriodicSweep implements OnApplicationBootstrap, OnApplicationShutdown {
  protected readonly logger = new Logger(this.constructor.name);
  private readonly loop: ClaimLoop;

  protected constructor(private readonly intervalMs: number) {
    this.loop = new ClaimLoop(() => this.pass(), {
      idleMs: intervalMs,
      busyMs: intervalMs,
      onError: (error) => this.logger.error(`sweep failed: ${String(error)}`),
    });
  }

  /** One pass; resolves with how many items it acted on. */
  abstract sweep(): Promise<number>;

  /** The log line for a pass that acted on `count` (> 0) items. */
  protected abstract summary(count: number): string;

  onApplicationBootstrap(): void {
    this.loop.start(this.intervalMs);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  private async pass(): Promise<number> {
    const count = await this.sweep();
    if (count > 0) this.logger.log(this.summary(count));
    return count;
  }
}
