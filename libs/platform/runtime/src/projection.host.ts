import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Logger } from '@nestjs/common';
import { ProjectionRebuild, ProjectionRunner, RebuildJobs, type RebuildJob, type RowProjection } from '@darkroom/projections';
import { ClaimLoop } from './claim-loop';
import type { Platform } from './platform';

/** How often a host looks for rebuild jobs of its projections. */
const JOB_POLL_MS = 1000;
/** A host that stops renewing its lease this long loses the job to another host. */
const LEASE_MS = 30_000;
const HEARTBEAT_EVERY = 5;

/**
 * Starts one runner per projection with the app and stops it on shutdown; registers the
 * projections (so any gateway can list them) and runs their rebuild and checksum jobs here,
 * in the process that has their code (decision 0015).
 */
export class ProjectionHost {
  private readonly logger = new Logger(ProjectionHost.name);
  readonly runners: readonly ProjectionRunner<unknown>[];
  private readonly jobs: RebuildJobs;
  private readonly owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly jobLoop: ClaimLoop;
  private ticks = 0;
  private stopping = false;

  constructor(
    private readonly platform: Platform,
    /**
     * Public for health and lag metrics (which event types each runner reads). Held with their
     * row and event types unknown: each one goes whole to its own runner and rebuild.
     */
    readonly projections: readonly RowProjection<unknown>[],
  ) {
    this.jobs = new RebuildJobs(platform.sql);
    this.runners = projections.map(
      (projection) =>
        new ProjectionRunner(platform.sql, projection, {
          pollIntervalMs: platform.pollIntervalMs,
          commits: platform.commits,
          clock: platform.clock,
          onError: (error) => this.logger.error(`projection ${projection.name}: ${String(error)}`),
        }),
    );
    this.jobLoop = new ClaimLoop(() => this.pollJobs(), {
      idleMs: JOB_POLL_MS,
      busyMs: JOB_POLL_MS,
      onError: (error) => this.logger.error(`projection jobs: ${String(error)}`),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const runner of this.runners) runner.start();
    try {
      await this.jobs.register(this.projections, this.owner);
    } catch (error) {
      this.logger.error(`registering projections: ${String(error)}`);
    }
    this.jobLoop.start(JOB_POLL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.jobLoop.stop();
    await Promise.all(this.runners.map((runner) => runner.stop()));
  }

  /** One look for a job; resolves with how many it ran (0 or 1). */
  private async pollJobs(): Promise<number> {
    const names = this.projections.map((projection) => projection.name);
    if (this.ticks++ % HEARTBEAT_EVERY === 0) await this.jobs.heartbeat(names, this.owner);
    const job = await this.jobs.claim(names, this.owner, LEASE_MS);
    if (!job) return 0;
    await this.runJob(job);
    return 1;
  }

  private async runJob(job: RebuildJob): Promise<void> {
    const projection = this.projections.find((candidate) => candidate.name === job.projection);
    if (!projection) throw new Error(`job ${job.id}: projection ${job.projection} is not hosted here`);
    this.logger.log(`${job.kind} of ${job.projection} started (job ${job.id})`);
    const rebuild = new ProjectionRebuild(this.platform.sql, projection, job.id, {
      onProgress: async ({ done, total, state }) => {
        if (this.stopping) throw new ShutdownAbort();
        if (!(await this.jobs.progress(job.id, this.owner, { done, total, state }, LEASE_MS))) {
          throw new Error(`job ${job.id} is no longer held by this host`);
        }
      },
    });
    try {
      const result = await rebuild.run(job.kind);
      await this.jobs.complete(job.id, this.owner, {
        done: result.eventsDone,
        live: result.live,
        rebuilt: result.rebuilt,
        position: result.position,
      });
      this.logger.log(`${job.kind} of ${job.projection} completed: ${result.eventsDone} events (job ${job.id})`);
    } catch (error) {
      if (error instanceof ShutdownAbort) {
        await this.jobs.release(job.id, this.owner);
        return;
      }
      this.logger.error(`${job.kind} of ${job.projection} failed (job ${job.id}): ${String(error)}`);
      await this.jobs.fail(job.id, this.owner, error instanceof Error ? error.message : String(error));
    }
  }
}

class ShutdownAbort extends Error {
  constructor() {
    super('host shutting down');
  }
}
