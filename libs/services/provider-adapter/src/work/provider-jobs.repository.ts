import { priorityOf, type GenerationRequest } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import { laneOffsetSql } from './fair-queue';
import { fromDb, type ProviderJobDbRow, type ProviderJobRow, type WorkPhase } from './provider-job-row';

/** Phases a worker claims; `abandoned` and `done` are never run. */
const RUNNABLE: readonly WorkPhase[] = ['submit', 'poll', 'cancel'];

/**
 * SQL of the work table. Claims lease rows with `FOR UPDATE SKIP LOCKED` so instances never
 * take the same row; a lease that runs out (a crashed worker) makes the row claimable again.
 * No timer per task lives in memory: the schedule is `next_run_at`.
 */
export class ProviderJobsRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * The first attempt of a task, in its provider's fair queue (decision 0024): the flow of
   * its account and lane takes the next start tag, weighted by the account's scheduling
   * weight. A redelivered `GenerationQueued` changes no row (its flow's tag advances, harmlessly).
   */
  async schedule(
    tx: Sql,
    job: {
      taskId: string;
      accountId: string;
      /** 1, or the first attempt of a fallback step when the model's circuit breaker was open. */
      attempt?: number;
      model: string;
      provider: string;
      request: GenerationRequest;
      deadline: string;
      causeEventId: string;
    },
  ): Promise<void> {
    await tx.query(
      `WITH clock AS (SELECT coalesce((SELECT vtime FROM provider_queues WHERE provider = $4), 0) AS vtime),
            share AS (SELECT coalesce((SELECT scheduling_weight FROM accounts WHERE id = $2), 1)::double precision AS weight),
            flow AS (
              INSERT INTO provider_queue_flows AS f (provider, account_id, priority, finish)
              SELECT $4, $2, $8, clock.vtime + 1 / share.weight FROM clock, share
              ON CONFLICT (provider, account_id, priority)
                DO UPDATE SET finish = greatest(f.finish, (SELECT vtime FROM clock)) + 1 / (SELECT weight FROM share)
              RETURNING finish)
       INSERT INTO provider_jobs (task_id, account_id, attempt, model, provider, phase, request, deadline, cause_event_id, next_run_at,
                                  priority, queue_start, queue_key)
       SELECT $1, $2, $9::int, $3, $4, 'submit', $5, $6, $7, now(),
              $8, flow.finish - 1 / share.weight, flow.finish - 1 / share.weight + ${laneOffsetSql('$8::text')}
         FROM flow, share
       ON CONFLICT (task_id) DO NOTHING`,
      [job.taskId, job.accountId, job.model, job.provider, JSON.stringify(job.request), job.deadline, job.causeEventId, priorityOf(job.request), job.attempt ?? 1],
    );
  }

  /**
   * A later attempt (retry or fallback); an older or repeated schedule changes nothing. The
   * retry starts at its (possibly new) provider's clock: at the head of its lane once due,
   * not behind its account's backlog.
   */
  async reschedule(
    tx: Sql,
    job: { taskId: string; attempt: number; model: string; provider: string; notBefore: string; causeEventId: string },
  ): Promise<void> {
    await tx.query(
      `WITH clock AS (SELECT coalesce((SELECT vtime FROM provider_queues WHERE provider = $4), 0) AS vtime)
       UPDATE provider_jobs
          SET attempt = $2, model = $3, provider = $4, phase = 'submit', next_run_at = $5, cause_event_id = $6,
              provider_job_id = NULL, handle = NULL, polls = 0, last_status = NULL,
              lease_owner = NULL, lease_until = NULL, updated_at = now(),
              queue_start = clock.vtime, queue_key = clock.vtime + ${laneOffsetSql('provider_jobs.priority')}
         FROM clock
        WHERE task_id = $1 AND attempt < $2 AND phase <> 'abandoned'`,
      [job.taskId, job.attempt, job.model, job.provider, job.notBefore, job.causeEventId],
    );
  }

  /** The row, locked for the rest of `tx`. */
  async lock(tx: Sql, taskId: string): Promise<ProviderJobRow | undefined> {
    const { rows } = await tx.query<ProviderJobDbRow>(`SELECT * FROM provider_jobs WHERE task_id = $1 FOR UPDATE`, [taskId]);
    return rows[0] ? fromDb(rows[0]) : undefined;
  }

  /** Whether a worker holds an unexpired lease on the row (an HTTP call may be in flight). */
  async isLeased(tx: Sql, taskId: string): Promise<boolean> {
    const { rows } = await tx.query(`SELECT 1 FROM provider_jobs WHERE task_id = $1 AND lease_until > now()`, [taskId]);
    return rows.length > 0;
  }

  async setPhase(tx: Sql, taskId: string, phase: WorkPhase, attempt?: number): Promise<void> {
    await tx.query(
      `UPDATE provider_jobs SET phase = $2, next_run_at = now(), lease_owner = NULL, lease_until = NULL, updated_at = now()
        WHERE task_id = $1 AND ($3::int IS NULL OR attempt = $3)`,
      [taskId, phase, attempt ?? null],
    );
  }

  /** The job was accepted: poll it from `nextRunAt`. */
  async accepted(tx: Sql, taskId: string, providerJobId: string, handle: Readonly<Record<string, string>> | undefined, nextRunAt: Date) {
    await tx.query(
      `UPDATE provider_jobs SET phase = 'poll', provider_job_id = $2, handle = $3, next_run_at = $4, polls = 0,
              lease_owner = NULL, lease_until = NULL, updated_at = now()
        WHERE task_id = $1`,
      [taskId, providerJobId, handle ? JSON.stringify(handle) : null, nextRunAt],
    );
  }

  /** Run the row again at `nextRunAt` (a poll that saw a pending job, a webhook hint to re-poll). */
  async later(tx: Sql, taskId: string, nextRunAt: Date, lastStatus?: string, countPoll = true): Promise<void> {
    await tx.query(
      `UPDATE provider_jobs SET next_run_at = $2, polls = polls + $4, last_status = coalesce($3, last_status),
              lease_owner = NULL, lease_until = NULL, updated_at = now()
        WHERE task_id = $1`,
      [taskId, nextRunAt, lastStatus ?? null, countPoll ? 1 : 0],
    );
  }

  /** Gives back a row this owner leased, to run again after `pauseMs`. */
  async release(taskId: string, owner: string, pauseMs: number): Promise<void> {
    await this.sql.query(
      `UPDATE provider_jobs SET lease_owner = NULL, lease_until = NULL,
              next_run_at = now() + make_interval(secs => $3::double precision / 1000), updated_at = now()
        WHERE task_id = $1 AND lease_owner = $2`,
      [taskId, owner, pauseMs],
    );
  }

  /**
   * Extends this owner's leases on rows whose calls are still running, so a lease can be
   * short: a dead worker's rows are claimable again (and its concurrency slots free) within
   * one lease. A row already recorded (no owner any more) or taken over is left alone.
   */
  async renew(taskIds: readonly string[], owner: string, leaseMs: number): Promise<void> {
    if (taskIds.length === 0) return;
    await this.sql.query(
      `UPDATE provider_jobs SET lease_until = now() + make_interval(secs => $3::double precision / 1000)
        WHERE task_id = ANY($1::uuid[]) AND lease_owner = $2`,
      [taskIds, owner, leaseMs],
    );
  }

  /**
   * Which of these providers have rows due and unleased now, by phase. One index probe per
   * (provider, phase) on `(provider, phase, next_run_at)`: the cost does not grow with the
   * number of jobs waiting further in the future.
   */
  async due(providers: readonly string[]): Promise<{ provider: string; phase: WorkPhase }[]> {
    const pairs = providers.flatMap((provider) => RUNNABLE.map((phase) => [provider, phase] as const));
    if (pairs.length === 0) return [];
    // One uncorrelated EXISTS per pair: each runs once and stops at its first row. (A join or
    // a correlated EXISTS over all pairs lets the planner scan the whole table instead.)
    const probes = pairs.map(
      (_, i) => `SELECT $${2 * i + 1}::text AS provider, $${2 * i + 2}::text AS phase WHERE EXISTS (
         SELECT 1 FROM provider_jobs WHERE provider = $${2 * i + 1} AND phase = $${2 * i + 2} AND next_run_at <= now()
            AND (lease_until IS NULL OR lease_until < now()))`,
    );
    const { rows } = await this.sql.query<{ provider: string; phase: WorkPhase }>(probes.join(' UNION ALL '), pairs.flat());
    return rows;
  }

  /**
   * Leases up to `limit` due rows of one provider and phase. Submits go in fair order
   * (`claimSubmits`), polls and cancels by due time. For submits, `concurrency` caps the
   * provider's jobs in flight across every instance (an advisory lock per provider
   * serialises the count and the claim), so a burst waits here instead of drawing 429s.
   */
  async claim(options: {
    provider: string;
    phase: WorkPhase;
    limit: number;
    owner: string;
    leaseMs: number;
    /** Counted for submits: async jobs being polled plus leased submits. */
    concurrency?: number;
  }): Promise<ProviderJobRow[]> {
    const { provider, phase, owner, leaseMs, concurrency } = options;
    if (!RUNNABLE.includes(phase) || options.limit <= 0) return [];
    return this.sql.transaction(async (tx) => {
      let limit = options.limit;
      if (concurrency !== undefined) {
        await tx.query(`SELECT pg_advisory_xact_lock(hashtext('darkroom.provider-concurrency'), hashtext($1))`, [provider]);
        // Each count stops at the limit, and leased submits come from their own small index:
        // the cost is bounded by the limit, not by the jobs in flight or waiting.
        const { rows } = await tx.query<{ active: string }>(
          `SELECT count(*) AS active FROM (
             (SELECT 1 FROM provider_jobs WHERE provider = $1 AND phase = 'poll' LIMIT $2)
             UNION ALL
             (SELECT 1 FROM provider_jobs
               WHERE provider = $1 AND phase = 'submit' AND lease_owner IS NOT NULL AND lease_until > now() LIMIT $2)
           ) AS in_flight`,
          [provider, concurrency],
        );
        limit = Math.min(limit, concurrency - Number(rows[0].active));
        if (limit <= 0) return [];
      }
      if (phase === 'submit') return this.claimSubmits(tx, provider, limit, owner, leaseMs);
      const { rows } = await tx.query<ProviderJobDbRow>(
        `UPDATE provider_jobs SET lease_owner = $4, lease_until = now() + make_interval(secs => $5::double precision / 1000)
          WHERE task_id IN (
            SELECT task_id FROM provider_jobs
             WHERE provider = $1 AND phase = $2 AND next_run_at <= now() AND (lease_until IS NULL OR lease_until < now())
             ORDER BY next_run_at
             LIMIT $3
             FOR UPDATE SKIP LOCKED)
          RETURNING *`,
        [provider, phase, limit, owner, leaseMs],
      );
      return rows.map(fromDb);
    });
  }

  /**
   * The provider's next due submits by fair-queue key (decision 0024), read in key order from
   * `provider_jobs_fair_idx`, and the provider's virtual clock moved to the latest start
   * tag claimed; one statement. Rows come back in key order.
   */
  private async claimSubmits(tx: Sql, provider: string, limit: number, owner: string, leaseMs: number): Promise<ProviderJobRow[]> {
    const { rows } = await tx.query<ProviderJobDbRow>(
      `WITH claimed AS (
         UPDATE provider_jobs SET lease_owner = $3, lease_until = now() + make_interval(secs => $4::double precision / 1000)
          WHERE task_id IN (
            SELECT task_id FROM provider_jobs
             WHERE provider = $1 AND phase = 'submit' AND next_run_at <= now() AND (lease_until IS NULL OR lease_until < now())
             ORDER BY queue_key, next_run_at
             LIMIT $2
             FOR UPDATE SKIP LOCKED)
          RETURNING *),
       clock AS (
         INSERT INTO provider_queues (provider, vtime)
         SELECT $1, max(queue_start) FROM claimed HAVING count(*) > 0
         ON CONFLICT (provider) DO UPDATE SET vtime = greatest(provider_queues.vtime, excluded.vtime))
       SELECT * FROM claimed ORDER BY queue_key, next_run_at`,
      [provider, limit, owner, leaseMs],
    );
    return rows.map(fromDb);
  }
}
