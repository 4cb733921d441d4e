import { Inject, Injectable } from '@nestjs/common';
import type { Priority } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import { newId, systemClock, type Clock } from '@darkroom/kernel';
import { CLOCK, SQL } from '@darkroom/runtime';
import { generateApiKey, hashApiKey, prefixOf } from './api-keys';

export interface IssuedKey {
  readonly accountId: string;
  readonly keyId: string;
  readonly prefix: string;
  /** Shown once, at creation; only its hash is stored. */
  readonly key: string;
  readonly record: ApiKeyRecord;
}

export interface AccountRecord {
  readonly id: string;
  readonly name: string;
  /** Days its assets are kept; null means the configured default (ASSET_RETENTION_DAYS). */
  readonly retentionDays: number | null;
  readonly scheduling: AccountScheduling;
}

/** An account as admins look it up. */
export interface AccountDetails extends AccountRecord {
  readonly createdAt: Date;
  /** Keys not revoked. */
  readonly activeKeys: number;
  readonly totalKeys: number;
}

/** What is kept of a key: never the key itself nor its hash. */
export interface ApiKeyRecord {
  readonly id: string;
  readonly accountId: string;
  readonly prefix: string;
  readonly name: string | null;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

/** The caller behind an active key. */
export interface KeyOwner {
  readonly accountId: string;
  readonly keyId: string;
  /** The highest scheduling lane the account may ask for (decision 0024). */
  readonly maxPriority: Priority;
}

/** How an account's work is scheduled at the providers (decision 0024). */
export interface AccountScheduling {
  /** Its share of a provider's slots against other accounts with work waiting, 1–100. */
  readonly weight: number;
  readonly maxPriority: Priority;
}

/** `last_used_at` is written at most this often per key and process: a hot key costs no write per request. */
const TOUCH_INTERVAL_MS = 60_000;

interface KeyRow {
  id: string;
  account_id: string;
  prefix: string;
  name: string | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const KEY_COLUMNS = 'id, account_id, prefix, name, created_at, last_used_at, revoked_at';

interface AccountDbRow {
  id: string;
  name: string;
  retention_days: number | null;
  scheduling_weight: number;
  max_priority: Priority;
}

const ACCOUNT_COLUMNS = 'id, name, retention_days, scheduling_weight, max_priority';

const toAccountRecord = (row: AccountDbRow): AccountRecord => ({
  id: row.id,
  name: row.name,
  retentionDays: row.retention_days === null ? null : Number(row.retention_days),
  scheduling: { weight: Number(row.scheduling_weight), maxPriority: row.max_priority },
});

const toKeyRecord = (row: KeyRow): ApiKeyRecord => ({
  id: row.id,
  accountId: row.account_id,
  prefix: row.prefix,
  name: row.name,
  createdAt: new Date(row.created_at),
  lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at),
  revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
});

/**
 * Accounts and API keys are plain tables: they are configuration, not business history.
 * Ids passed in must be UUIDs (the controllers check, so a malformed id is a 404, not a
 * database error).
 */
@Injectable()
export class AccountsRepository {
  private readonly touched = new Map<string, number>();

  constructor(
    @Inject(SQL) private readonly sql: Sql,
    @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  async createAccount(name: string, id = newId()): Promise<string> {
    await this.sql.query(`INSERT INTO accounts (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, [id, name]);
    return id;
  }

  async exists(accountId: string): Promise<boolean> {
    const { rows } = await this.sql.query(`SELECT 1 FROM accounts WHERE id = $1`, [accountId]);
    return rows.length > 0;
  }

  async find(accountId: string): Promise<AccountDetails | undefined> {
    const { rows } = await this.sql.query<AccountDbRow & { created_at: Date; active_keys: string; total_keys: string }>(
      `SELECT a.${ACCOUNT_COLUMNS.split(', ').join(', a.')}, a.created_at,
              count(k.id) FILTER (WHERE k.revoked_at IS NULL) AS active_keys, count(k.id) AS total_keys
         FROM accounts a LEFT JOIN api_keys k ON k.account_id = a.id
        WHERE a.id = $1
        GROUP BY a.id`,
      [accountId],
    );
    const row = rows[0];
    return (
      row && {
        ...toAccountRecord(row),
        createdAt: new Date(row.created_at),
        activeKeys: Number(row.active_keys),
        totalKeys: Number(row.total_keys),
      }
    );
  }

  /**
   * Changes the settings given (retention: null clears it); the others stay. Undefined when
   * there is no such account.
   */
  async update(
    accountId: string,
    changes: { readonly retentionDays?: number | null; readonly weight?: number; readonly maxPriority?: Priority },
  ): Promise<AccountRecord | undefined> {
    const { rows } = await this.sql.query<AccountDbRow>(
      `UPDATE accounts
          SET retention_days = CASE WHEN $2 THEN $3::double precision ELSE retention_days END,
              scheduling_weight = coalesce($4::int, scheduling_weight),
              max_priority = coalesce($5::text, max_priority)
        WHERE id = $1 RETURNING ${ACCOUNT_COLUMNS}`,
      [accountId, changes.retentionDays !== undefined, changes.retentionDays ?? null, changes.weight ?? null, changes.maxPriority ?? null],
    );
    return rows[0] && toAccountRecord(rows[0]);
  }

  async issueKey(accountId: string, name: string | null = null): Promise<IssuedKey> {
    const generated = generateApiKey();
    const { rows } = await this.sql.query<KeyRow>(
      `INSERT INTO api_keys (id, account_id, prefix, key_hash, name) VALUES ($1, $2, $3, $4, $5) RETURNING ${KEY_COLUMNS}`,
      [newId(), accountId, generated.prefix, generated.hash, name],
    );
    const record = toKeyRecord(rows[0]!);
    return { accountId, keyId: record.id, prefix: record.prefix, key: generated.key, record };
  }

  /** Registers a key the caller already holds (the embedded dev key); a no-op when known. */
  async registerKey(accountId: string, key: string): Promise<void> {
    const prefix = prefixOf(key);
    if (!prefix) throw new Error('Not a darkroom API key');
    await this.sql.query(
      `INSERT INTO api_keys (id, account_id, prefix, key_hash) VALUES ($1, $2, $3, $4) ON CONFLICT (key_hash) DO NOTHING`,
      [newId(), accountId, prefix, hashApiKey(key)],
    );
  }

  /** Every key of the account, oldest first, revoked ones included. */
  async listKeys(accountId: string): Promise<ApiKeyRecord[]> {
    const { rows } = await this.sql.query<KeyRow>(
      `SELECT ${KEY_COLUMNS} FROM api_keys WHERE account_id = $1 ORDER BY created_at, id`,
      [accountId],
    );
    return rows.map(toKeyRecord);
  }

  /**
   * Revokes the account's key; revoking it again keeps the first revocation time. Undefined
   * when the account has no such key.
   */
  async revokeKey(accountId: string, keyId: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.sql.query<KeyRow>(
      `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
        WHERE id = $1 AND account_id = $2 RETURNING ${KEY_COLUMNS}`,
      [keyId, accountId],
    );
    return rows[0] && toKeyRecord(rows[0]);
  }

  /** The owner of an active key, or undefined: a revoked key stops working with the next request. */
  async ownerOfKey(key: string): Promise<KeyOwner | undefined> {
    if (!prefixOf(key)) return undefined;
    const { rows } = await this.sql.query<{ id: string; account_id: string; max_priority: Priority }>(
      `SELECT k.id, k.account_id, a.max_priority
         FROM api_keys k JOIN accounts a ON a.id = k.account_id
        WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
      [hashApiKey(key)],
    );
    const row = rows[0];
    return row && { accountId: row.account_id, keyId: row.id, maxPriority: row.max_priority };
  }

  /**
   * Records that the key was used, at most once a minute per key and process, without
   * holding up the request; `last_used_at` is therefore up to a minute behind.
   */
  touch(keyId: string, now = this.clock.now().getTime()): Promise<void> | undefined {
    const last = this.touched.get(keyId);
    if (last !== undefined && now - last < TOUCH_INTERVAL_MS) return undefined;
    this.touched.set(keyId, now);
    if (this.touched.size > 10_000) this.touched.clear();
    return this.sql.query(`UPDATE api_keys SET last_used_at = now() WHERE id = $1`, [keyId]).then(() => undefined);
  }
}
