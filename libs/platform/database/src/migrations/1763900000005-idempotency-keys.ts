import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `Idempotency-Key`s of task-creating requests, one row per (account, key) (decision 0012).
 * `pending` rows are claims with nothing appended yet; `created` rows name a task that
 * exists (its GenerationCreated committed with the row); `completed` rows hold the first
 * response, replayed to repeats until `expires_at` (as `json`, not `jsonb`, so a replay keeps
 * the original's key order and bytes).
 */
export class IdempotencyKeys1763900000005 implements MigrationInterface {
  name = 'IdempotencyKeys1763900000005';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE idempotency_keys (
        account_id uuid NOT NULL,
        key text NOT NULL,
        fingerprint text NOT NULL,
        task_id uuid NOT NULL,
        state text NOT NULL CHECK (state IN ('pending', 'created', 'completed')),
        claim_token uuid NOT NULL,
        claimed_at timestamptz NOT NULL,
        response_status int,
        response_body json,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (account_id, key)
      )`);
    await db.query(`CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE idempotency_keys`);
  }
}
