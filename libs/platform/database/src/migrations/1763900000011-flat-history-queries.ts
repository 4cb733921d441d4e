import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Queries whose cost grew with an account's history (issue 12, docs/benchmarks.md):
 * - `GET /v1/generations` with a status or model filter reads one ordered range per status
 *   (`listGenerations`): by (account, status) or, with a model, (account, model, status);
 * - the retention sweep reads each account's expired assets as a range of its own, by
 *   (account, stored_at) over live assets; the (stored_at) index it used before goes.
 * Plain CREATE INDEX (no CONCURRENTLY): migrations run in a transaction, also under PGlite.
 */
export class FlatHistoryQueries1763900000011 implements MigrationInterface {
  name = 'FlatHistoryQueries1763900000011';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `CREATE INDEX IF NOT EXISTS generations_account_status_keyset_idx
         ON generations (account_id, status, created_at DESC, id DESC)`,
    );
    await db.query(
      `CREATE INDEX IF NOT EXISTS generations_account_model_status_keyset_idx
         ON generations (account_id, model, status, created_at DESC, id DESC)`,
    );
    await db.query(
      `CREATE INDEX IF NOT EXISTS assets_account_live_stored_idx ON assets (account_id, stored_at) WHERE deleted_at IS NULL`,
    );
    await db.query(`DROP INDEX IF EXISTS assets_live_stored_idx`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`CREATE INDEX IF NOT EXISTS assets_live_stored_idx ON assets (stored_at) WHERE deleted_at IS NULL`);
    await db.query(`DROP INDEX IF EXISTS assets_account_live_stored_idx`);
    await db.query(`DROP INDEX IF EXISTS generations_account_model_status_keyset_idx`);
    await db.query(`DROP INDEX IF EXISTS generations_account_status_keyset_idx`);
  }
}
