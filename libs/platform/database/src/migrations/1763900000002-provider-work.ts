import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The provider-adapter's work table (one row per task: the attempt to submit, poll or
 * cancel, and when) and the images callers upload for edits.
 */
export class ProviderWork1763900000002 implements MigrationInterface {
  name = 'ProviderWork1763900000002';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE provider_jobs (
        task_id uuid PRIMARY KEY,
        account_id uuid NOT NULL,
        attempt integer NOT NULL,
        model text NOT NULL,
        provider text NOT NULL,
        phase text NOT NULL CHECK (phase IN ('submit', 'poll', 'cancel', 'abandoned', 'done')),
        request jsonb NOT NULL,
        deadline timestamptz NOT NULL,
        cause_event_id uuid NOT NULL,
        provider_job_id text,
        handle jsonb,
        next_run_at timestamptz NOT NULL,
        lease_owner text,
        lease_until timestamptz,
        polls integer NOT NULL DEFAULT 0,
        last_status text,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX provider_jobs_due_idx ON provider_jobs (provider, phase, next_run_at) WHERE phase IN ('submit', 'poll', 'cancel')`);
    await db.query(`
      CREATE TABLE uploads (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL,
        key text NOT NULL,
        content_type text NOT NULL,
        bytes bigint NOT NULL,
        width integer NOT NULL,
        height integer NOT NULL,
        sha256 text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX uploads_account_idx ON uploads (account_id, created_at DESC)`);
    // The deadline sweeper's scan: open tasks by deadline.
    await db.query(
      `CREATE INDEX generations_open_deadline_idx ON generations (deadline) WHERE status IN ('created', 'queued', 'processing')`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX generations_open_deadline_idx`);
    await db.query(`DROP TABLE uploads`);
    await db.query(`DROP TABLE provider_jobs`);
  }
}
