import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fair, prioritised claiming of provider submits (issue 17, decision 0024):
 * - accounts get an admin-set scheduling weight (their share of a provider's slots) and the
 *   highest lane their requests may ask for;
 * - each submit row carries its lane and a virtual start tag and order key, computed when it
 *   is queued; the claim reads due submits of one provider in key order from a small partial
 *   index, so its cost does not grow with the rows waiting;
 * - `provider_queues` holds each provider's virtual clock and `provider_queue_flows` the last
 *   finish tag of each (provider, account, lane): one row each, not one per task;
 * - a partial index on leased rows makes the in-flight count read only the leased rows, not
 *   every waiting submit.
 */
export class FairScheduling1763900000020 implements MigrationInterface {
  name = 'FairScheduling1763900000020';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE accounts
        ADD COLUMN scheduling_weight integer NOT NULL DEFAULT 1 CHECK (scheduling_weight BETWEEN 1 AND 100),
        ADD COLUMN max_priority text NOT NULL DEFAULT 'standard' CHECK (max_priority IN ('interactive', 'standard', 'batch'))`);
    await db.query(`
      ALTER TABLE provider_jobs
        ADD COLUMN priority text NOT NULL DEFAULT 'standard' CHECK (priority IN ('interactive', 'standard', 'batch')),
        ADD COLUMN queue_start double precision NOT NULL DEFAULT 0,
        ADD COLUMN queue_key double precision NOT NULL DEFAULT 0`);
    await db.query(`CREATE INDEX provider_jobs_fair_idx ON provider_jobs (provider, queue_key, next_run_at) WHERE phase = 'submit'`);
    await db.query(`CREATE INDEX provider_jobs_leased_idx ON provider_jobs (provider, phase) WHERE lease_owner IS NOT NULL`);
    await db.query(`CREATE TABLE provider_queues (provider text PRIMARY KEY, vtime double precision NOT NULL)`);
    await db.query(`
      CREATE TABLE provider_queue_flows (
        provider text NOT NULL,
        account_id uuid NOT NULL,
        priority text NOT NULL,
        finish double precision NOT NULL,
        PRIMARY KEY (provider, account_id, priority)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE provider_queue_flows`);
    await db.query(`DROP TABLE provider_queues`);
    await db.query(`DROP INDEX provider_jobs_leased_idx`);
    await db.query(`DROP INDEX provider_jobs_fair_idx`);
    await db.query(`ALTER TABLE provider_jobs DROP COLUMN queue_key, DROP COLUMN queue_start, DROP COLUMN priority`);
    await db.query(`ALTER TABLE accounts DROP COLUMN max_priority, DROP COLUMN scheduling_weight`);
  }
}
