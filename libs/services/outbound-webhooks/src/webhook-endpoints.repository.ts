import { Inject, Injectable } from '@nestjs/common';
import type { Sql } from '@darkroom/database';
import { SQL } from '@darkroom/runtime';
import type { WebhookEventType } from '@darkroom/contracts';

export interface WebhookEndpointRow {
  readonly id: string;
  readonly accountId: string;
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly description: string | null;
  /** `whsec_<base64>`: kept readable, it is the HMAC key. */
  readonly secret: string;
  readonly enabled: boolean;
  readonly disabledReason: string | null;
  readonly disabledAt: string | null;
  /** Start of the current run of failed attempts; null after a success. */
  readonly failingSince: string | null;
  readonly createdAt: string;
}

interface DbRow {
  id: string;
  account_id: string;
  url: string;
  events: WebhookEventType[];
  description: string | null;
  secret: string;
  enabled: boolean;
  disabled_reason: string | null;
  disabled_at: Date | null;
  failing_since: Date | null;
  created_at: Date;
}

const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null);

const fromDb = (row: DbRow): WebhookEndpointRow => ({
  id: row.id,
  accountId: row.account_id,
  url: row.url,
  events: row.events,
  description: row.description,
  secret: row.secret,
  enabled: row.enabled,
  disabledReason: row.disabled_reason,
  disabledAt: iso(row.disabled_at),
  failingSince: iso(row.failing_since),
  createdAt: iso(row.created_at)!,
});

/** Endpoints are configuration of an account: a plain table, every query scoped by account. */
@Injectable()
export class WebhookEndpointsRepository {
  constructor(@Inject(SQL) private readonly sql: Sql) {}

  async create(endpoint: Pick<WebhookEndpointRow, 'id' | 'accountId' | 'url' | 'events' | 'description' | 'secret'>): Promise<WebhookEndpointRow> {
    const { rows } = await this.sql.query<DbRow>(
      `INSERT INTO webhook_endpoints (id, account_id, url, events, description, secret) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [endpoint.id, endpoint.accountId, endpoint.url, endpoint.events, endpoint.description, endpoint.secret],
    );
    return fromDb(rows[0]);
  }

  async list(accountId: string): Promise<WebhookEndpointRow[]> {
    const { rows } = await this.sql.query<DbRow>(`SELECT * FROM webhook_endpoints WHERE account_id = $1 ORDER BY created_at, id`, [accountId]);
    return rows.map(fromDb);
  }

  async get(accountId: string, id: string): Promise<WebhookEndpointRow | undefined> {
    const { rows } = await this.sql.query<DbRow>(`SELECT * FROM webhook_endpoints WHERE id = $1 AND account_id = $2`, [id, accountId]);
    return rows[0] ? fromDb(rows[0]) : undefined;
  }

  /** Deletes the endpoint with its deliveries and their log; false when the account has no such endpoint. */
  async delete(accountId: string, id: string): Promise<boolean> {
    const { rows } = await this.sql.query(`DELETE FROM webhook_endpoints WHERE id = $1 AND account_id = $2 RETURNING id`, [id, accountId]);
    return rows.length > 0;
  }

  /** Enables the endpoint again; its pending deliveries resume now with a fresh retry schedule. */
  async enable(accountId: string, id: string): Promise<WebhookEndpointRow | undefined> {
    return this.sql.transaction(async (tx) => {
      const { rows } = await tx.query<DbRow>(
        `UPDATE webhook_endpoints SET enabled = true, disabled_reason = NULL, disabled_at = NULL, failing_since = NULL, updated_at = now()
          WHERE id = $1 AND account_id = $2 RETURNING *`,
        [id, accountId],
      );
      if (!rows[0]) return undefined;
      await tx.query(
        `UPDATE webhook_deliveries SET next_attempt_at = now(), round_attempts = 0, updated_at = now()
          WHERE endpoint_id = $1 AND status = 'pending'`,
        [id],
      );
      return fromDb(rows[0]);
    });
  }

  /**
   * The account's enabled endpoints subscribed to `eventType` that existed when the event was
   * recorded (a replay sends nothing to endpoints registered since), read inside the
   * consumer's transaction.
   */
  async subscribed(tx: Sql, accountId: string, eventType: WebhookEventType, recordedAt: string): Promise<{ id: string }[]> {
    const { rows } = await tx.query<{ id: string }>(
      `SELECT id FROM webhook_endpoints WHERE account_id = $1 AND enabled AND $2 = ANY (events) AND created_at <= $3::timestamptz + interval '1 millisecond' ORDER BY id`,
      [accountId, eventType, recordedAt],
    );
    return rows;
  }

  /**
   * The account's default signing secret (per-request webhooks), made on first use; `tx` when
   * the caller's transaction must see it.
   */
  async defaultSecret(accountId: string, newSecret: () => string, tx: Sql = this.sql): Promise<string> {
    await tx.query(`INSERT INTO webhook_signing_secrets (account_id, secret) VALUES ($1, $2) ON CONFLICT (account_id) DO NOTHING`, [accountId, newSecret()]);
    const { rows } = await tx.query<{ secret: string }>(`SELECT secret FROM webhook_signing_secrets WHERE account_id = $1`, [accountId]);
    return rows[0].secret;
  }
}
