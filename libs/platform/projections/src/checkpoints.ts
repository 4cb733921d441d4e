import { LOG_START, type LogPosition } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';

/** Reads a checkpoint, creating it at the start of the log; `forUpdate` locks the row. */
export async function readCheckpoint(sql: Sql, name: string, forUpdate = false): Promise<LogPosition> {
  await sql.query(
    `INSERT INTO checkpoints (name, transaction_id, global_position) VALUES ($1, '0'::xid8, 0)
     ON CONFLICT (name) DO NOTHING`,
    [name],
  );
  const { rows } = await sql.query<{ transaction_id: string; global_position: string }>(
    `SELECT transaction_id::text AS transaction_id, global_position::text AS global_position
       FROM checkpoints WHERE name = $1 ${forUpdate ? 'FOR UPDATE' : ''}`,
    [name],
  );
  const row = rows[0];
  return row ? { transactionId: row.transaction_id, globalPosition: row.global_position } : LOG_START;
}

/**
 * Moves a checkpoint from `from` to `to`; fails when someone else moved it meanwhile, which
 * rolls back the caller's transaction and with it the batch it wrote.
 */
export async function advanceCheckpoint(sql: Sql, name: string, from: LogPosition, to: LogPosition): Promise<void> {
  const { rowCount } = await sql.query(
    `UPDATE checkpoints SET transaction_id = $4::xid8, global_position = $5, updated_at = now()
      WHERE name = $1 AND transaction_id = $2::xid8 AND global_position = $3`,
    [name, from.transactionId, from.globalPosition, to.transactionId, to.globalPosition],
  );
  if (rowCount !== 1) throw new Error(`Checkpoint ${name} moved under this runner; batch rolled back`);
}
