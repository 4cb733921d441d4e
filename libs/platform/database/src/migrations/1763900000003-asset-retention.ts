import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-account asset retention (NULL: the configured ASSET_RETENTION_DAYS applies), and the
 * retention sweep's scan of live assets by age.
 */
export class AssetRetention1763900000003 implements MigrationInterface {
  name = 'AssetRetention1763900000003';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `ALTER TABLE accounts ADD COLUMN retention_days double precision CHECK (retention_days IS NULL OR retention_days > 0)`,
    );
    await db.query(`CREATE INDEX assets_live_stored_idx ON assets (stored_at) WHERE deleted_at IS NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX assets_live_stored_idx`);
    await db.query(`ALTER TABLE accounts DROP COLUMN retention_days`);
  }
}
