import { Inject, Injectable } from '@nestjs/common';
import type { Sql } from '@darkroom/database';
import { newId } from '@darkroom/kernel';
import { SQL } from '@darkroom/runtime';
import { generateApiKey, hashApiKey, prefixOf } from './api-keys';

export interface IssuedKey {
  readonly accountId: string;
  readonly keyId: string;
  readonly prefix: string;
  /** Shown once, at creation; only its hash is stored. */
  readonly key: string;
}

export interface AccountRecord {
  readonly id: string;
  readonly name: string;
  /** Days its assets are kept; null means the configured default (ASSET_RETENTION_DAYS). */
  readonly retentionDays: number | null;
}

/** Accounts and API keys are plain tables: they are configuration, not business history. */
@Injectable()
export class AccountsRepository {
  constructor(@Inject(SQL) private readonly sql: Sql) {}

  async createAccount(name: string, id = newId()): Promise<string> {
    await this.sql.query(`INSERT INTO accounts (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, [id, name]);
    return id;
  }

  async exists(accountId: string): Promise<boolean> {
    const { rows } = await this.sql.query(`SELECT 1 FROM accounts WHERE id = $1`, [accountId]);
    return rows.length > 0;
  }

  /** Sets (or with null clears) the account's retention; undefined when there is no such account. */
  async setRetentionDays(accountId: string, days: number | null): Promise<AccountRecord | undefined> {
    const { rows } = await this.sql.query<{ id: string; name: string; retention_days: number | null }>(
      `UPDATE accounts SET retention_days = $2 WHERE id = $1 RETURNING id, name, retention_days`,
      [accountId, days],
    );
    const row = rows[0];
    return row && { id: row.id, name: row.name, retentionDays: row.retention_days === null ? null : Number(row.retention_days) };
  }

  async issueKey(accountId: string): Promise<IssuedKey> {
    return this.storeKey(accountId, generateApiKey());
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

  /** The account of an active key, or undefined. */
  async accountForKey(key: string): Promise<string | undefined> {
    if (!prefixOf(key)) return undefined;
    const { rows } = await this.sql.query<{ account_id: string }>(
      `SELECT account_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
      [hashApiKey(key)],
    );
    return rows[0]?.account_id;
  }

  private async storeKey(accountId: string, generated: ReturnType<typeof generateApiKey>): Promise<IssuedKey> {
    const keyId = newId();
    await this.sql.query(`INSERT INTO api_keys (id, account_id, prefix, key_hash) VALUES ($1, $2, $3, $4)`, [
      keyId,
      accountId,
      generated.prefix,
      generated.hash,
    ]);
    return { accountId, keyId, prefix: generated.prefix, key: generated.key };
  }
}
