import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The projection registry (each process that hosts a projection records it at boot, so any
 * gateway can list projections it does not run) and rebuild / checksum jobs, whose state
 * lives here so every gateway instance reports the same progress (decision 0015).
 */
export class ProjectionRebuilds1763900000009 implements MigrationInterface {
  name = 'ProjectionRebuilds1763900000009';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE projections (
        name text PRIMARY KEY,
        event_types text[] NOT NULL,
        tables text[] NOT NULL,
        host text NOT NULL,
        registered_at timestamptz NOT NULL DEFAULT now(),
        heartbeat_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE projection_rebuilds (
        id uuid PRIMARY KEY,
        projection text NOT NULL REFERENCES projections (name),
        kind text NOT NULL CHECK (kind IN ('rebuild', 'verify')),
        state text NOT NULL CHECK (state IN ('requested', 'running', 'switching', 'completed', 'failed')),
        events_total bigint,
        events_done bigint NOT NULL DEFAULT 0,
        owner text,
        lease_until timestamptz,
        error text,
        live_checksum text,
        live_rows bigint,
        rebuilt_checksum text,
        rebuilt_rows bigint,
        position_transaction_id xid8,
        position_global bigint,
        requested_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    // At most one job in flight per projection: a second request is a unique violation (409).
    await db.query(`
      CREATE UNIQUE INDEX projection_rebuilds_active_idx ON projection_rebuilds (projection)
        WHERE state IN ('requested', 'running', 'switching')`);
    await db.query(`CREATE INDEX projection_rebuilds_latest_idx ON projection_rebuilds (projection, requested_at DESC)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE projection_rebuilds`);
    await db.query(`DROP TABLE projections`);
  }
}
