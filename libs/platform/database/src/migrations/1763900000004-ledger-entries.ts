import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `ledger_entries`: one row per credit-account event (DESIGN §6), the history behind
 * `GET /v1/credits`. A reservation's row gets `resolved_at` once it is captured or released,
 * so the expiry backstop finds the open ones through a small partial index.
 */
export class LedgerEntries1763900000004 implements MigrationInterface {
  name = 'LedgerEntries1763900000004';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE ledger_entries (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL,
        type text NOT NULL,
        amount bigint NOT NULL,
        task_id text,
        grant_id text,
        reason text,
        global_position bigint NOT NULL,
        created_at timestamptz NOT NULL,
        resolved_at timestamptz
      )`);
    await db.query(`CREATE INDEX ledger_entries_account_position_idx ON ledger_entries (account_id, global_position DESC)`);
    await db.query(`CREATE INDEX ledger_entries_account_task_idx ON ledger_entries (account_id, task_id)`);
    await db.query(
      `CREATE INDEX ledger_entries_open_reservations_idx ON ledger_entries (created_at)
        WHERE type = 'reserved' AND resolved_at IS NULL`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE ledger_entries`);
  }
}
