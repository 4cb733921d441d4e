import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API keys get an optional name and the time they were last used (written at most once a
 * minute per key and process), listed per account; and the table the gateway's rate limiter
 * (rate-limiter-flexible's PostgreSQL store) counts requests in, created here so that several
 * gateways starting at once do not race to create it.
 */
export class ApiKeyAdmin1763900000008 implements MigrationInterface {
  name = 'ApiKeyAdmin1763900000008';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE api_keys ADD COLUMN name text, ADD COLUMN last_used_at timestamptz`);
    await db.query(`CREATE INDEX api_keys_account_idx ON api_keys (account_id, created_at)`);
    // The layout rate-limiter-flexible's RateLimiterPostgres reads and writes; `expire` is epoch ms.
    await db.query(`
      CREATE TABLE rate_limits (
        key varchar(255) PRIMARY KEY,
        points integer NOT NULL DEFAULT 0,
        expire bigint
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE rate_limits`);
    await db.query(`DROP INDEX api_keys_account_idx`);
    await db.query(`ALTER TABLE api_keys DROP COLUMN last_used_at, DROP COLUMN name`);
  }
}
