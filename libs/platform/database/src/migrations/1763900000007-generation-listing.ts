import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `GET /v1/generations` pages an account's tasks newest first by the keyset
 * (created_at, id): this index serves every page, with or without filters. It replaces
 * the (account_id, created_at) index, which it covers.
 */
export class GenerationListing1763900000007 implements MigrationInterface {
  name = 'GenerationListing1763900000007';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `CREATE INDEX IF NOT EXISTS generations_account_keyset_idx ON generations (account_id, created_at DESC, id DESC)`,
    );
    await db.query(`DROP INDEX IF EXISTS generations_account_created_idx`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`CREATE INDEX IF NOT EXISTS generations_account_created_idx ON generations (account_id, created_at DESC)`);
    await db.query(`DROP INDEX IF EXISTS generations_account_keyset_idx`);
  }
}
