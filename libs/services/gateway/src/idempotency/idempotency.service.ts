import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Sql } from '@darkroom/database';
import { DomainError, newId } from '@darkroom/kernel';
import { SQL } from '@darkroom/runtime';
import { GATEWAY_OPTIONS, type GatewayOptions } from '../gateway.options';
import { HttpProblem } from '../http/http-problem';

/** Hours a key is remembered unless `IDEMPOTENCY_KEY_TTL_HOURS` says otherwise. */
export const DEFAULT_IDEMPOTENCY_KEY_TTL_HOURS = 24;
/**
 * A claim older than this with nothing appended is taken to belong to a process that died
 * between claiming and appending; the next request with the key takes it over (same task id).
 */
const STALE_CLAIM_SECONDS = 60;
const PURGE_INTERVAL_MS = 10 * 60 * 1000;
const MAX_CLAIM_ATTEMPTS = 5;

/** The right to create the task of a key: held by exactly one request at a time. */
export interface IdempotencyClaim {
  readonly accountId: string;
  readonly key: string;
  /** Chosen when the key was first claimed; a takeover keeps it, so a task is never made twice. */
  readonly taskId: string;
  readonly token: string;
}

/** What a request carrying a key does next. */
export type IdempotencyOutcome =
  /** First of its key: create the task (with `claim.taskId`), or `release` the claim on refusal. */
  | { readonly kind: 'claimed'; readonly claim: IdempotencyClaim }
  /** The task exists and no response was stored: the façade answers from the task (decision 0012). */
  | { readonly kind: 'created'; readonly taskId: string }
  /** Answer with the first response again. */
  | { readonly kind: 'replay'; readonly status: number; readonly body: unknown };

/** A response stored with its key. */
export interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
}

interface KeyRow {
  fingerprint: string;
  task_id: string;
  state: 'pending' | 'created' | 'completed';
  claim_token: string;
  stale: boolean;
  response_status: number | null;
  response_body: unknown;
}

/**
 * `Idempotency-Key` rows (decision 0012). The primary key (account, key) lets exactly one
 * request claim a key, across any number of gateway instances; the task's GenerationCreated
 * is appended in the same transaction that moves the claim on (`recordCreated`), with
 * NO_STREAM on the task id the claim holds.
 */
@Injectable()
export class IdempotencyService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(IdempotencyService.name);
  private readonly ttlSeconds: number;
  private purgeTimer?: NodeJS.Timeout;

  constructor(
    @Inject(SQL) private readonly sql: Sql,
    @Inject(GATEWAY_OPTIONS) options: GatewayOptions,
  ) {
    this.ttlSeconds = Math.round((options.idempotencyKeyTtlHours ?? DEFAULT_IDEMPOTENCY_KEY_TTL_HOURS) * 3600);
  }

  onModuleInit(): void {
    this.purgeTimer = setInterval(() => {
      this.purgeExpired().catch((error: unknown) => this.logger.warn(`purging expired idempotency keys failed: ${String(error)}`));
    }, PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.purgeTimer);
  }

  /**
   * Claims the key for this request, or says how to answer it: a replay of the first
   * response, the task a previous request created, a 409 `idempotency_key_in_progress`
   * while another request holds the claim, a 422 `idempotency_key_reused` for another body.
   */
  async begin(accountId: string, key: string, fingerprint: string): Promise<IdempotencyOutcome> {
    for (let attempt = 1; attempt <= MAX_CLAIM_ATTEMPTS; attempt++) {
      // An expired key is forgotten on access; the periodic purge clears the rest.
      await this.sql.query(`DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND expires_at <= now()`, [
        accountId,
        key,
      ]);
      const claim: IdempotencyClaim = { accountId, key, taskId: newId(), token: newId() };
      const inserted = await this.sql.query(
        `INSERT INTO idempotency_keys (account_id, key, fingerprint, task_id, state, claim_token, claimed_at, expires_at)
         VALUES ($1, $2, $3, $4, 'pending', $5, now(), now() + make_interval(secs => $6))
         ON CONFLICT (account_id, key) DO NOTHING
         RETURNING task_id`,
        [accountId, key, fingerprint, claim.taskId, claim.token, this.ttlSeconds],
      );
      if (inserted.rows.length === 1) return { kind: 'claimed', claim };

      const { rows } = await this.sql.query<KeyRow>(
        `SELECT fingerprint, task_id, state, claim_token, response_status, response_body,
                claimed_at < now() - make_interval(secs => $3) AS stale
           FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND expires_at > now()`,
        [accountId, key, STALE_CLAIM_SECONDS],
      );
      const row = rows[0];
      if (!row) continue; // released or expired meanwhile: claim again
      if (row.fingerprint !== fingerprint) {
        throw new HttpProblem(
          422,
          'idempotency_key_reused',
          'This Idempotency-Key was already used with a different request; use a new key for a new request.',
          { task_id: row.task_id },
        );
      }
      if (row.state === 'completed') return { kind: 'replay', status: row.response_status ?? 200, body: row.response_body };
      if (row.state === 'created') return { kind: 'created', taskId: row.task_id };
      if (!row.stale) {
        throw new DomainError(
          'idempotency_key_in_progress',
          'conflict',
          `A request with this Idempotency-Key is still in progress (task ${row.task_id}); retry it shortly.`,
          { task_id: row.task_id },
        );
      }
      const takeover = { accountId, key, taskId: row.task_id, token: newId() };
      const taken = await this.sql.query(
        `UPDATE idempotency_keys SET claim_token = $4, claimed_at = now()
          WHERE account_id = $1 AND key = $2 AND state = 'pending' AND claim_token = $3
          RETURNING task_id`,
        [accountId, key, row.claim_token, takeover.token],
      );
      if (taken.rows.length === 1) return { kind: 'claimed', claim: takeover };
    }
    throw new DomainError('idempotency_key_in_progress', 'conflict', 'A request with this Idempotency-Key is in progress; retry it shortly.');
  }

  /**
   * Inside the transaction that appends the task: moves the claim to `created` (or straight to
   * `completed` with the response). Throws, rolling the append back, when the claim was lost.
   */
  async recordCreated(tx: Sql, claim: IdempotencyClaim, response?: StoredResponse): Promise<void> {
    const { rows } = await tx.query(
      `UPDATE idempotency_keys
          SET state = $4, response_status = $5, response_body = $6::json
        WHERE account_id = $1 AND key = $2 AND claim_token = $3 AND state = 'pending'
        RETURNING task_id`,
      [
        claim.accountId,
        claim.key,
        claim.token,
        response ? 'completed' : 'created',
        response?.status ?? null,
        response ? JSON.stringify(response.body) : null,
      ],
    );
    if (rows.length !== 1) {
      throw new DomainError(
        'idempotency_key_in_progress',
        'conflict',
        `Another request with this Idempotency-Key took over (task ${claim.taskId}); retry it to get its answer.`,
        { task_id: claim.taskId },
      );
    }
  }

  /**
   * Runs the claimed request's work; when it fails before its task was appended (a refusal,
   * a crash of the work), the key is released so a corrected retry with it works.
   */
  async whileClaimed<T>(claim: IdempotencyClaim, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      await this.release(claim).catch((releaseError: unknown) => {
        // The claim then goes stale and the next request with the key takes it over.
        this.logger.warn(`idempotency key of task ${claim.taskId} not released: ${String(releaseError)}`);
      });
      throw error;
    }
  }

  /** Gives the key back when nothing was appended: a corrected retry with the same key works. */
  async release(claim: IdempotencyClaim): Promise<void> {
    await this.sql.query(
      `DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND claim_token = $3 AND state = 'pending'`,
      [claim.accountId, claim.key, claim.token],
    );
  }

  /** Deletes keys past their time; returns how many. */
  async purgeExpired(): Promise<number> {
    const { rowCount } = await this.sql.query(`DELETE FROM idempotency_keys WHERE expires_at <= now()`);
    return rowCount;
  }
}
