import { Inject, Injectable } from '@nestjs/common';
import type { Sql } from '@darkroom/database';
import { newId, systemClock, type Clock } from '@darkroom/kernel';
import { CLOCK, SQL } from '@darkroom/runtime';
import { failingTooLong, nextRetryAt, succeeded, type AttemptOutcome } from './delivery-schedule';

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface DeliveryAttempt {
  readonly attemptedAt: string;
  readonly durationMs: number;
  readonly statusCode: number | null;
  readonly error: string | null;
  /** `scheduled` (first send and retries) or `redeliver` (asked for with the API). */
  readonly trigger: 'scheduled' | 'redeliver';
}

export interface DeliveryRow {
  readonly id: string;
  /** Null for a per-request webhook (the URL a `POST /v1/generations` named). */
  readonly endpointId: string | null;
  /** A per-request delivery's URL; null for an endpoint's. */
  readonly url: string | null;
  readonly messageId: string;
  readonly eventType: string;
  readonly taskId: string;
  readonly status: DeliveryStatus;
  readonly attemptCount: number;
  readonly nextAttemptAt: string | null;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A leased delivery with what the dispatcher needs to send it. */
export interface ClaimedDelivery {
  readonly id: string;
  /** Null for a per-request webhook: no endpoint's failing period to keep. */
  readonly endpointId: string | null;
  readonly messageId: string;
  readonly taskId: string;
  readonly payload: string;
  readonly url: string;
  readonly secret: string;
  readonly redeliver: boolean;
}

/** What happened to a delivery after an attempt was recorded. */
export interface RecordedAttempt {
  readonly status: DeliveryStatus;
  /** The endpoint was disabled by this failure. */
  readonly disabledEndpoint: boolean;
}

interface DbDelivery {
  id: string;
  endpoint_id: string | null;
  url: string | null;
  message_id: string;
  event_type: string;
  task_id: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null);

const fromDb = (row: DbDelivery): DeliveryRow => ({
  id: row.id,
  endpointId: row.endpoint_id,
  url: row.url,
  messageId: row.message_id,
  eventType: row.event_type,
  taskId: row.task_id,
  status: row.status,
  attemptCount: row.attempts,
  nextAttemptAt: iso(row.next_attempt_at),
  lastStatusCode: row.last_status_code,
  lastError: row.last_error,
  createdAt: iso(row.created_at)!,
  updatedAt: iso(row.updated_at)!,
});

/**
 * The dispatcher's work table (like `provider_jobs`): one row per (endpoint, event), leased
 * with `FOR UPDATE SKIP LOCKED`, its schedule in `next_attempt_at`; nothing per delivery
 * lives in memory, so any number of gateways share it and a crashed one's leases run out.
 */
@Injectable()
export class WebhookDeliveriesRepository {
  constructor(
    @Inject(SQL) private readonly sql: Sql,
    @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  /** One delivery per endpoint; a redelivered or replayed event inserts nothing more. */
  async enqueue(
    tx: Sql,
    delivery: { endpointIds: readonly string[]; accountId: string; eventId: string; messageId: string; eventType: string; taskId: string; payload: string },
  ): Promise<void> {
    for (const endpointId of delivery.endpointIds) {
      await tx.query(
        `INSERT INTO webhook_deliveries
           (id, endpoint_id, account_id, event_id, message_id, event_type, task_id, payload, status, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', now())
         ON CONFLICT (endpoint_id, event_id) DO NOTHING`,
        [newId(), endpointId, delivery.accountId, delivery.eventId, delivery.messageId, delivery.eventType, delivery.taskId, delivery.payload],
      );
    }
  }

  /**
   * The per-request delivery of a terminal event (no endpoint: the task's own URL, signed with
   * the account's default secret); a redelivered or replayed event inserts nothing more.
   */
  async enqueueForRequest(
    tx: Sql,
    delivery: { url: string; accountId: string; eventId: string; messageId: string; eventType: string; taskId: string; payload: string },
  ): Promise<void> {
    await tx.query(
      `INSERT INTO webhook_deliveries
         (id, endpoint_id, url, account_id, event_id, message_id, event_type, task_id, payload, status, next_attempt_at)
       VALUES ($1, NULL, $2, $3, $4, $5, $6, $7, $8, 'pending', now())
       ON CONFLICT (event_id) WHERE endpoint_id IS NULL DO NOTHING`,
      [newId(), delivery.url, delivery.accountId, delivery.eventId, delivery.messageId, delivery.eventType, delivery.taskId, delivery.payload],
    );
  }

  /** Leases up to `limit` due deliveries of enabled endpoints and of requests. */
  async claim(limit: number, owner: string, leaseMs: number): Promise<ClaimedDelivery[]> {
    if (limit <= 0) return [];
    const { rows } = await this.sql.query<{
      id: string;
      endpoint_id: string | null;
      message_id: string;
      task_id: string;
      payload: string;
      url: string;
      secret: string;
      redeliver: boolean;
    }>(
      `WITH due AS (
         SELECT q.id FROM webhook_deliveries q LEFT JOIN webhook_endpoints qe ON qe.id = q.endpoint_id
          WHERE q.status = 'pending' AND q.next_attempt_at <= now() AND (qe.enabled OR q.endpoint_id IS NULL)
            AND (q.lease_until IS NULL OR q.lease_until < now())
          ORDER BY q.next_attempt_at
          LIMIT $1
          FOR UPDATE OF q SKIP LOCKED),
       leased AS (
         UPDATE webhook_deliveries d
            SET lease_owner = $2, lease_until = now() + make_interval(secs => $3::double precision / 1000)
           FROM due WHERE d.id = due.id
         RETURNING d.id, d.endpoint_id, d.account_id, d.url, d.message_id, d.task_id, d.payload, d.redeliver)
       SELECT l.id, l.endpoint_id, l.message_id, l.task_id, l.payload, l.redeliver,
              coalesce(e.url, l.url) AS url, coalesce(e.secret, s.secret) AS secret
         FROM leased l
         LEFT JOIN webhook_endpoints e ON e.id = l.endpoint_id
         LEFT JOIN webhook_signing_secrets s ON l.endpoint_id IS NULL AND s.account_id = l.account_id`,
      [limit, owner, leaseMs],
    );
    return rows.map((row) => ({
      id: row.id,
      endpointId: row.endpoint_id,
      messageId: row.message_id,
      taskId: row.task_id,
      payload: row.payload,
      url: row.url,
      secret: row.secret,
      redeliver: row.redeliver,
    }));
  }

  /**
   * Logs one attempt and moves the delivery on: succeeded, retried on its schedule, or failed
   * when the schedule is used up. A failure also starts or extends the endpoint's failing
   * period and disables the endpoint once that period is too long; a success ends it.
   * Undefined when the delivery is gone (its endpoint was deleted meanwhile).
   */
  async record(
    delivery: ClaimedDelivery,
    attempt: AttemptOutcome & { attemptedAt: Date; durationMs: number; error?: string },
    policy: { scheduleMs: readonly number[]; disableAfterMs: number },
  ): Promise<RecordedAttempt | undefined> {
    return this.sql.transaction(async (tx) => {
      const { rows } = await tx.query<{ round_attempts: number; redeliver: boolean }>(
        `SELECT round_attempts, redeliver FROM webhook_deliveries WHERE id = $1 FOR UPDATE`,
        [delivery.id],
      );
      if (!rows[0]) return undefined;
      // A redelivery asked for while this attempt was in flight still happens, right after it.
      const redeliverAsked = rows[0].redeliver && !delivery.redeliver;
      await tx.query(
        `INSERT INTO webhook_delivery_attempts (delivery_id, attempted_at, duration_ms, status_code, error, trigger)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [delivery.id, attempt.attemptedAt, attempt.durationMs, attempt.statusCode ?? null, attempt.error ?? null, delivery.redeliver ? 'redeliver' : 'scheduled'],
      );
      const now = this.clock.now();
      const ok = succeeded(attempt);
      const roundAttempts = redeliverAsked ? 0 : rows[0].round_attempts + 1;
      const retryAt = redeliverAsked ? now : ok ? undefined : nextRetryAt(attempt, roundAttempts, policy.scheduleMs, now);
      const status: DeliveryStatus = redeliverAsked ? 'pending' : ok ? 'succeeded' : retryAt ? 'pending' : 'failed';
      await tx.query(
        `UPDATE webhook_deliveries
            SET status = $2, attempts = attempts + 1, round_attempts = $3, next_attempt_at = $4, redeliver = $7,
                last_status_code = $5, last_error = $6, lease_owner = NULL, lease_until = NULL, updated_at = now()
          WHERE id = $1`,
        [delivery.id, status, roundAttempts, retryAt ?? null, attempt.statusCode ?? null, ok ? null : (attempt.error ?? null), redeliverAsked],
      );
      const endpointId = delivery.endpointId;
      const disabledEndpoint =
        endpointId === null
          ? false
          : ok
            ? await this.endpointSucceeded(tx, endpointId)
            : await this.endpointFailed(tx, endpointId, attempt.attemptedAt, attempt.error, policy.disableAfterMs);
      return { status, disabledEndpoint };
    });
  }

  /** Gives back a lease without recording an attempt (the process is stopping or the run broke). */
  async release(id: string, owner: string, pauseMs: number): Promise<void> {
    await this.sql.query(
      `UPDATE webhook_deliveries SET lease_owner = NULL, lease_until = NULL,
              next_attempt_at = now() + make_interval(secs => $3::double precision / 1000), updated_at = now()
        WHERE id = $1 AND lease_owner = $2 AND status = 'pending'`,
      [id, owner, pauseMs],
    );
  }

  /** The endpoint's deliveries, newest first, after the cursor delivery if given. */
  async list(endpointId: string, limit: number, startingAfter?: string): Promise<DeliveryRow[]> {
    const { rows } = await this.sql.query<DbDelivery>(
      `SELECT * FROM webhook_deliveries d
        WHERE endpoint_id = $1
          AND ($3::uuid IS NULL OR (d.created_at, d.id) < (SELECT created_at, id FROM webhook_deliveries WHERE id = $3 AND endpoint_id = $1))
        ORDER BY created_at DESC, id DESC
        LIMIT $2`,
      [endpointId, limit, startingAfter ?? null],
    );
    return rows.map(fromDb);
  }

  /** The account's per-request deliveries, newest first, after the cursor delivery if given. */
  async listForRequests(accountId: string, limit: number, startingAfter?: string): Promise<DeliveryRow[]> {
    const { rows } = await this.sql.query<DbDelivery>(
      `SELECT * FROM webhook_deliveries d
        WHERE account_id = $1 AND endpoint_id IS NULL
          AND ($3::uuid IS NULL OR (d.created_at, d.id) < (SELECT created_at, id FROM webhook_deliveries WHERE id = $3 AND account_id = $1))
        ORDER BY created_at DESC, id DESC
        LIMIT $2`,
      [accountId, limit, startingAfter ?? null],
    );
    return rows.map(fromDb);
  }

  async get(endpointId: string, id: string): Promise<DeliveryRow | undefined> {
    const { rows } = await this.sql.query<DbDelivery>(`SELECT * FROM webhook_deliveries WHERE id = $1 AND endpoint_id = $2`, [id, endpointId]);
    return rows[0] ? fromDb(rows[0]) : undefined;
  }

  /** Attempts of each delivery, oldest first. */
  async attempts(deliveryIds: readonly string[]): Promise<Map<string, DeliveryAttempt[]>> {
    const byDelivery = new Map<string, DeliveryAttempt[]>(deliveryIds.map((id) => [id, []]));
    if (deliveryIds.length === 0) return byDelivery;
    const { rows } = await this.sql.query<{
      delivery_id: string;
      attempted_at: Date;
      duration_ms: number;
      status_code: number | null;
      error: string | null;
      trigger: 'scheduled' | 'redeliver';
    }>(`SELECT * FROM webhook_delivery_attempts WHERE delivery_id = ANY ($1::uuid[]) ORDER BY id`, [deliveryIds]);
    for (const row of rows) {
      byDelivery.get(row.delivery_id)?.push({
        attemptedAt: iso(row.attempted_at)!,
        durationMs: row.duration_ms,
        statusCode: row.status_code,
        error: row.error,
        trigger: row.trigger,
      });
    }
    return byDelivery;
  }

  /**
   * Sends the delivery again as soon as possible, same message id and body, with a fresh
   * retry schedule. A delivery in flight right now is sent again after that attempt.
   */
  async redeliver(endpointId: string, id: string): Promise<DeliveryRow | undefined> {
    const { rows } = await this.sql.query<DbDelivery>(
      `UPDATE webhook_deliveries
          SET status = 'pending', next_attempt_at = now(), round_attempts = 0, redeliver = true, updated_at = now()
        WHERE id = $1 AND endpoint_id = $2
        RETURNING *`,
      [id, endpointId],
    );
    return rows[0] ? fromDb(rows[0]) : undefined;
  }

  private async endpointSucceeded(tx: Sql, endpointId: string): Promise<boolean> {
    await tx.query(`UPDATE webhook_endpoints SET failing_since = NULL, updated_at = now() WHERE id = $1 AND failing_since IS NOT NULL`, [endpointId]);
    return false;
  }

  private async endpointFailed(tx: Sql, endpointId: string, at: Date, error: string | undefined, disableAfterMs: number): Promise<boolean> {
    const { rows } = await tx.query<{ failing_since: Date; enabled: boolean }>(
      `UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, $2), updated_at = now()
        WHERE id = $1 RETURNING failing_since, enabled`,
      [endpointId, at],
    );
    const endpoint = rows[0];
    if (!endpoint?.enabled || !failingTooLong(new Date(endpoint.failing_since), at, disableAfterMs)) return false;
    const since = new Date(endpoint.failing_since).toISOString();
    await tx.query(
      `UPDATE webhook_endpoints SET enabled = false, disabled_at = now(), disabled_reason = $2, updated_at = now() WHERE id = $1`,
      [endpointId, `Every delivery attempt since ${since} failed (last: ${error ?? 'no answer'}); enable the endpoint again once it works.`],
    );
    return true;
  }
}
