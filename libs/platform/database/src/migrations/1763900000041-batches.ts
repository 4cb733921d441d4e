import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Batches (decision 0029): which tasks a batch holds, in order, with the client's ids. Written
 * once by the generation service in the transaction that creates the items; the items' state
 * is the `generations` read model's. The outbound webhooks consumer counts the items' ends
 * (once per terminal event, in its inbox transaction) to send `batch.ended` with the last one.
 */
export class Batches1763900000041 implements MigrationInterface {
  name = 'Batches1763900000041';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE IF NOT EXISTS batches (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL,
        item_count integer NOT NULL,
        price bigint NOT NULL,
        created_at timestamptz NOT NULL,
        completed_count integer NOT NULL DEFAULT 0,
        failed_count integer NOT NULL DEFAULT 0,
        canceled_count integer NOT NULL DEFAULT 0
      )`);
    await db.query(`
      CREATE TABLE IF NOT EXISTS batch_items (
        batch_id uuid NOT NULL REFERENCES batches (id),
        index integer NOT NULL,
        task_id uuid NOT NULL UNIQUE,
        custom_id text,
        PRIMARY KEY (batch_id, index)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE batch_items`);
    await db.query(`DROP TABLE batches`);
  }
}
