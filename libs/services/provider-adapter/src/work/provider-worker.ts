import { Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { CommitSignal } from '@darkroom/event-store';
import type { Clock } from '@darkroom/kernel';
import type { ModelCatalog } from '@darkroom/providers';
import { ClaimLoop } from '@darkroom/runtime';
import { withLogContext } from '@darkroom/logging';
import type { ProviderRegistry } from '../provider-registry';
import type { JobRunner } from './job-runner';
import { PollBudget } from './poll-schedule';
import type { ProviderJobRow, WorkPhase } from './provider-job-row';
import type { ProviderJobsRepository } from './provider-jobs.repository';

/** Pause before a row whose run failed unexpectedly is tried again. */
const ERROR_PAUSE_MS = 2000;

export interface ProviderWorkerOptions {
  /** Unique per process; names the lease holder. */
  readonly owner: string;
  /** Pause between claim rounds when there was nothing to claim. */
  readonly idleMs: number;
  /**
   * A claimed row is reclaimable by another worker after this long without a renewal (a
   * crashed worker's work resumes); renewed every third of it while the row's call runs.
   */
  readonly leaseMs: number;
  /** On shutdown, how long running calls may finish before their rows are handed back. */
  readonly drainMs: number;
  /** Provider calls this process runs at once, all providers together. */
  readonly maxInFlight: number;
  readonly clock: Clock;
  /** Wakes the claimer on commit (jobs are scheduled with events); `idleMs` stays as the safety net. */
  readonly commits?: CommitSignal;
}

/**
 * Claims due rows of `provider_jobs` (submits within each provider's concurrency limit,
 * polls within its poll budget, cancels) and runs them. Several instances share the table
 * safely; nothing per task lives in memory beyond the calls in flight.
 */
export class ProviderWorker implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(ProviderWorker.name);
  private readonly budgets = new Map<string, PollBudget>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Rows whose run is in progress, by task: their leases are renewed. */
  private readonly held = new Set<string>();
  private readonly loop: ClaimLoop;
  private renewal?: NodeJS.Timeout;

  constructor(
    private readonly repo: ProviderJobsRepository,
    private readonly runner: JobRunner,
    private readonly catalog: ModelCatalog,
    private readonly providers: ProviderRegistry,
    private readonly options: ProviderWorkerOptions,
  ) {
    this.loop = new ClaimLoop(() => this.tick(), {
      idleMs: options.idleMs,
      commits: options.commits,
      onError: (error) => this.logger.error(`claim round failed: ${String(error)}`),
    });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
    this.renewal = setInterval(() => void this.renewLeases(), Math.max(Math.floor(this.options.leaseMs / 3), 100));
    this.renewal.unref();
  }

  /**
   * Before the HTTP server and the consumers drain: claim nothing more, let the calls in
   * flight finish and record within `drainMs`, then hand the rows still running back so
   * another instance takes them at once instead of after their lease.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
    let timer: NodeJS.Timeout | undefined;
    const drained = Promise.allSettled([...this.inFlight]);
    await Promise.race([drained, new Promise((resolve) => (timer = setTimeout(resolve, this.options.drainMs)))]);
    clearTimeout(timer);
    const left = [...this.held];
    if (left.length === 0) return;
    this.logger.warn(`shutting down: handing back ${left.length} provider job(s) still running`);
    await Promise.all(left.map((taskId) => this.repo.release(taskId, this.options.owner, 0).catch(() => undefined)));
  }

  onApplicationShutdown(): void {
    clearInterval(this.renewal);
  }

  private async renewLeases(): Promise<void> {
    try {
      await this.repo.renew([...this.held], this.options.owner, this.options.leaseMs);
    } catch (error) {
      this.logger.warn(`renewing provider job leases failed: ${String(error)}`);
    }
  }

  /** One claim round; resolves with how many rows were started. */
  async tick(): Promise<number> {
    let started = 0;
    for (const { provider, phase } of await this.repo.due(this.providers.names())) {
      const limits = this.catalog.providerLimits(provider);
      if (phase === 'submit') started += await this.claimAndRun(provider, phase, { concurrency: limits.concurrency });
      if (phase === 'poll') started += await this.claimAndRun(provider, phase, { budget: this.budget(provider, limits.pollsPerSecond) });
      if (phase === 'cancel') started += await this.claimAndRun(provider, phase, {});
    }
    return started;
  }

  private async claimAndRun(
    provider: string,
    phase: WorkPhase,
    options: { concurrency?: number; budget?: PollBudget },
  ): Promise<number> {
    const free = this.options.maxInFlight - this.inFlight.size;
    const budget = options.budget?.available(this.nowMs()) ?? Number.POSITIVE_INFINITY;
    const limit = Math.min(free, budget, 50);
    if (limit <= 0) return 0;
    const rows = await this.repo.claim({
      provider,
      phase,
      limit,
      owner: this.options.owner,
      leaseMs: this.options.leaseMs,
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    });
    options.budget?.spend(rows.length);
    for (const row of rows) this.start(row);
    return rows.length;
  }

  private start(row: ProviderJobRow): void {
    // Our own lease ran out while the call still runs (renewals held up) and we claimed the
    // row again: the lease is ours once more, and the running call goes on; never a second one.
    if (this.held.has(row.taskId)) return;
    this.held.add(row.taskId);
    const context = { taskId: row.taskId, correlationId: row.taskId, accountId: row.accountId };
    const work = withLogContext(context, () => this.runner.run(row).catch((error: unknown) => this.retryLater(row, error)))
      .finally(() => {
        this.held.delete(row.taskId);
        this.inFlight.delete(work);
        this.loop.wake(10); // a slot is free: claim again soon
      });
    this.inFlight.add(work);
  }

  /**
   * The run failed before its outcome was recorded (the bucket or the database was down):
   * give the row back with a short pause instead of waiting for its lease to run out.
   */
  private async retryLater(row: ProviderJobRow, error: unknown): Promise<void> {
    this.runner.warn(row, error);
    await this.repo.release(row.taskId, this.options.owner, ERROR_PAUSE_MS).catch(() => undefined);
  }

  private budget(provider: string, perSecond = 20): PollBudget {
    let budget = this.budgets.get(provider);
    if (!budget) this.budgets.set(provider, (budget = new PollBudget(perSecond, this.nowMs())));
    return budget;
  }

  private nowMs(): number {
    return this.options.clock.now().getTime();
  }
}
