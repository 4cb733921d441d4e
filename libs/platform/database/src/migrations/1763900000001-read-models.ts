import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Accounts and keys (plain tables) and the projections the API serves. */
export class ReadModels1763900000001 implements MigrationInterface {
  name = 'ReadModels1763900000001';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE accounts (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES accounts (id),
        prefix text NOT NULL,
        key_hash text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await db.query(`
      CREATE TABLE generations (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL,
        status text NOT NULL,
        model text NOT NULL,
        prompt text NOT NULL,
        params jsonb NOT NULL,
        price integer NOT NULL,
        credits_state text NOT NULL,
        idempotency_key text,
        deadline timestamptz NOT NULL,
        created_at timestamptz NOT NULL,
        queued_at timestamptz,
        processing_at timestamptz,
        completed_at timestamptz,
        failed_at timestamptz,
        canceled_at timestamptz,
        error jsonb,
        assets jsonb NOT NULL DEFAULT '[]',
        attempts integer NOT NULL DEFAULT 0,
        metadata jsonb NOT NULL DEFAULT '{}'
      )`);
    await db.query(`CREATE INDEX generations_account_created_idx ON generations (account_id, created_at DESC)`);
    await db.query(`
      CREATE TABLE credit_balances (
        account_id uuid PRIMARY KEY,
        granted bigint NOT NULL DEFAULT 0,
        reserved bigint NOT NULL DEFAULT 0,
        captured bigint NOT NULL DEFAULT 0,
        available bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL
      )`);
    await db.query(`
      CREATE TABLE assets (
        id uuid PRIMARY KEY,
        task_id uuid NOT NULL,
        account_id uuid NOT NULL,
        output_index integer NOT NULL,
        key text NOT NULL,
        content_type text NOT NULL,
        bytes bigint NOT NULL,
        sha256 text NOT NULL,
        width integer NOT NULL,
        height integer NOT NULL,
        stored_at timestamptz NOT NULL,
        deleted_at timestamptz
      )`);
    await db.query(`CREATE INDEX assets_task_idx ON assets (task_id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ['assets', 'credit_balances', 'generations', 'api_keys', 'accounts']) {
      await db.query(`DROP TABLE ${table}`);
    }
  }
}
