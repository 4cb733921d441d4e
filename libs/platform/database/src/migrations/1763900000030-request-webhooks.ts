import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-request webhooks (issue 18, decision 0026): a delivery names either an account's
 * endpoint or, with no endpoint, the URL a `POST /v1/generations` asked for; those are signed
 * with the account's default secret (`GET /v1/webhooks/default/secret`), kept here.
 */
export class RequestWebhooks1763900000030 implements MigrationInterface {
  name = 'RequestWebhooks1763900000030';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE webhook_signing_secrets (
        account_id uuid PRIMARY KEY,
        secret text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`ALTER TABLE webhook_deliveries ALTER COLUMN endpoint_id DROP NOT NULL`);
    await db.query(`ALTER TABLE webhook_deliveries ADD COLUMN url text`);
    await db.query(
      `ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_target_check CHECK ((endpoint_id IS NULL) = (url IS NOT NULL))`,
    );
    // One per-request delivery per terminal event: a redelivered or replayed event inserts nothing more.
    await db.query(`CREATE UNIQUE INDEX webhook_deliveries_request_event_idx ON webhook_deliveries (event_id) WHERE endpoint_id IS NULL`);
    await db.query(
      `CREATE INDEX webhook_deliveries_request_account_idx ON webhook_deliveries (account_id, created_at DESC, id DESC) WHERE endpoint_id IS NULL`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DELETE FROM webhook_deliveries WHERE endpoint_id IS NULL`);
    await db.query(`DROP INDEX webhook_deliveries_request_account_idx`);
    await db.query(`DROP INDEX webhook_deliveries_request_event_idx`);
    await db.query(`ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_target_check`);
    await db.query(`ALTER TABLE webhook_deliveries DROP COLUMN url`);
    await db.query(`ALTER TABLE webhook_deliveries ALTER COLUMN endpoint_id SET NOT NULL`);
    await db.query(`DROP TABLE webhook_signing_secrets`);
  }
}
