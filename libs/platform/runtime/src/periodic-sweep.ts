import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';

/**
 * A pass that runs every `intervalMs` while the application runs (deadline, reservation
 * expiry, retention): never two passes at once in one process, a failed pass logged and
 * retried at the next tick, and shutdown waits for the pass in progress. Safety between
 * processes is the subclass's (its decider decides each candidate under the stream's lock).
 */
export abstract class PeriodicSweep implements OnApplicationBootstrap, OnApplicationShutdown {
  protected readonly logger = new Logger(this.constructor.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  protected constructor(private readonly intervalMs: number) {}

  /** One pass; resolves with how many items it acted on. */
  abstract sweep(): Promise<number>;

  /** The log line for a pass that acted on `count` (> 0) items. */
  protected abstract summary(count: number): string;

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .then((count) => count > 0 && this.logger.log(this.summary(count)))
        .catch((error: unknown) => this.logger.error(`sweep failed: ${String(error)}`))
        .then(() => (this.running = undefined));
    }, this.intervalMs);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
