import type { CommitSignal } from '@darkroom/event-store';

export interface ClaimLoopOptions {
  /** Pause after a round that found nothing to do, or failed. */
  readonly idleMs: number;
  /** Pause after a round that did work (default 0: claim again right away). */
  readonly busyMs?: number;
  /** A failed round; the loop goes on after `idleMs`. */
  readonly onError: (error: unknown) => void;
  /** Wakes the loop when events are committed (the rows it claims are written with them); the pauses stay as the safety net. */
  readonly commits?: CommitSignal;
}

/**
 * Runs `round` over and over while started, for the workers that claim or sweep rows of a
 * shared table (provider jobs, webhook deliveries, sweeps, projection rebuild jobs): one
 * pending round at a time, the earliest asked for; never two rounds at once; `wake` asks for
 * a round sooner (a slot came free); `stop` cancels the pending round and waits for the
 * running one. `round` resolves with how much it did, which picks the next pause.
 */
export class ClaimLoop {
  private timer?: NodeJS.Timeout;
  private due = 0;
  private running = false;
  /** A wake came while a round ran: the next round follows it at once. */
  private wokenWhileRunning = false;
  /** The latest round, for `stop` to wait on. */
  private current?: Promise<void>;
  private stopped = true;
  private unsubscribe?: () => void;

  constructor(
    private readonly round: () => Promise<number>,
    private readonly options: ClaimLoopOptions,
  ) {}

  /** Starts the loop; its first round after `delayMs`. */
  start(delayMs = 0): void {
    this.stopped = false;
    this.unsubscribe ??= this.options.commits?.subscribe(() => this.wake());
    this.wake(delayMs);
  }

  /** Asks for a round within `delayMs` (no sooner than one already pending; after the running one). */
  wake(delayMs = 0): void {
    if (this.stopped) return;
    const due = performance.now() + delayMs;
    if (this.timer && this.due <= due) return;
    clearTimeout(this.timer);
    this.due = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      if (this.running) {
        this.wokenWhileRunning = true; // the running round schedules the next one
        return;
      }
      this.running = true;
      this.current = this.run();
    }, delayMs);
  }

  /** Stops the loop; resolves once the round in progress, if any, has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.current;
  }

  private async run(): Promise<void> {
    this.wokenWhileRunning = false;
    let done = 0;
    try {
      done = await this.round();
    } catch (error) {
      this.options.onError(error);
    }
    this.running = false;
    this.wake(done > 0 ? (this.options.busyMs ?? 0) : this.wokenWhileRunning ? 0 : this.options.idleMs);
  }
}
