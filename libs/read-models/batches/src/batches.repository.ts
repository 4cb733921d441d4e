import type { Sql } from '@darkroom/database';

/** A batch as recorded when its items were created. */
export interface BatchRecord {
  readonly id: string;
  readonly accountId: string;
  readonly itemCount: number;
  /** The whole price, reserved in one ledger decision. */
  readonly price: number;
  readonly createdAt: string;
}

export interface BatchItemRecord {
  readonly index: number;
  readonly taskId: string;
  readonly customId: string | null;
}

/** Written once, by the generation service, in the transaction that creates the items. */
export async function insertBatch(tx: Sql, batch: BatchRecord, items: readonly BatchItemRecord[]): Promise<void> {
  await tx.query(`INSERT INTO batches (id, account_id, item_count, price, created_at) VALUES ($1, $2, $3, $4, $5)`, [
    batch.id,
    batch.accountId,
    batch.itemCount,
    batch.price,
    batch.createdAt,
  ]);
  await tx.query(
    `INSERT INTO batch_items (batch_id, index, task_id, custom_id)
     SELECT $1, * FROM unnest($2::int[], $3::uuid[], $4::text[])`,
    [batch.id, items.map((item) => item.index), items.map((item) => item.taskId), items.map((item) => item.customId)],
  );
}

export async function batchExists(sql: Sql, batchId: string): Promise<boolean> {
  const { rows } = await sql.query(`SELECT 1 FROM batches WHERE id = $1`, [batchId]);
  return rows.length > 0;
}

/** The account's batch with its items in order; another account's is undefined. */
export async function loadBatch(sql: Sql, accountId: string, batchId: string): Promise<{ batch: BatchRecord; items: BatchItemRecord[] } | undefined> {
  const { rows } = await sql.query<{ id: string; account_id: string; item_count: number; price: string; created_at: Date }>(
    `SELECT id, account_id, item_count, price, created_at FROM batches WHERE id = $1 AND account_id = $2`,
    [batchId, accountId],
  );
  const row = rows[0];
  if (!row) return undefined;
  const { rows: items } = await sql.query<{ index: number; task_id: string; custom_id: string | null }>(
    `SELECT index, task_id, custom_id FROM batch_items WHERE batch_id = $1 ORDER BY index`,
    [batchId],
  );
  return {
    batch: { id: row.id, accountId: row.account_id, itemCount: row.item_count, price: Number(row.price), createdAt: new Date(row.created_at).toISOString() },
    items: items.map((item) => ({ index: item.index, taskId: item.task_id, customId: item.custom_id })),
  };
}
