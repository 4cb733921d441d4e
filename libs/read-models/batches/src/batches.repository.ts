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

/** How a batch's items ended, once every item has. */
export interface BatchEnd {
  readonly batchId: string;
  readonly accountId: string;
  readonly counts: { readonly total: number; readonly completed: number; readonly failed: number; readonly canceled: number };
}

/**
 * Counts one item's end (a task's one terminal event; call once per event, in the consumer's
 * inbox transaction). Answers the batch's end when this was its last item, else undefined
 * (also for a task in no batch). The row lock orders concurrent ends of one batch.
 */
export async function countItemEnded(tx: Sql, taskId: string, outcome: 'completed' | 'failed' | 'canceled'): Promise<BatchEnd | undefined> {
  const { rows } = await tx.query<{ id: string; account_id: string; item_count: number; completed_count: number; failed_count: number; canceled_count: number }>(
    `UPDATE batches SET completed_count = completed_count + ($2 = 'completed')::int,
                        failed_count = failed_count + ($2 = 'failed')::int,
                        canceled_count = canceled_count + ($2 = 'canceled')::int
      WHERE id = (SELECT batch_id FROM batch_items WHERE task_id = $1)
      RETURNING id, account_id, item_count, completed_count, failed_count, canceled_count`,
    [taskId, outcome],
  );
  const row = rows[0];
  if (!row || row.completed_count + row.failed_count + row.canceled_count !== row.item_count) return undefined;
  return {
    batchId: row.id,
    accountId: row.account_id,
    counts: { total: row.item_count, completed: row.completed_count, failed: row.failed_count, canceled: row.canceled_count },
  };
}
