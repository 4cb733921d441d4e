import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Spend caps (decision 0028). The credit account's summary gained its caps: every snapshot
 * taken before holds none (no cap could be set), so each is renamed to the new shape with an
 * empty set instead of being folded again from the log by its account's next command.
 * `key_spend_usage` and `user_spend_usage` are the read models of usage and caps per API key
 * and per end user, the current day's and month's only.
 */
export class SpendCaps1763900000040 implements MigrationInterface {
  name = 'SpendCaps1763900000040';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      UPDATE stream_snapshots SET name = 'credit-account/totals-v2', state = state || '{"caps": {}}'::jsonb
       WHERE name = 'credit-account/totals-v1'`);
    for (const table of ['key_spend_usage', 'user_spend_usage']) {
      await db.query(`
        CREATE TABLE IF NOT EXISTS ${table} (
          account_id uuid NOT NULL,
          subject_id text NOT NULL,
          day text NOT NULL,
          day_credits bigint NOT NULL,
          day_limit bigint,
          month text NOT NULL,
          month_credits bigint NOT NULL,
          month_limit bigint,
          updated_at timestamptz NOT NULL,
          PRIMARY KEY (account_id, subject_id)
        )`);
    }
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE user_spend_usage`);
    await db.query(`DROP TABLE key_spend_usage`);
    await db.query(`
      UPDATE stream_snapshots SET name = 'credit-account/totals-v1', state = state - 'caps'
       WHERE name = 'credit-account/totals-v2'`);
  }
}
