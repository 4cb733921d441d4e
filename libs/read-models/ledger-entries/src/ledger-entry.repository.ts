import type { Sql } from '@darkroom/database';
import type { LedgerEntryRow } from './ledger-entry.evolve';

/**
 * Inserts entries (idempotently) in one statement, then stamps the reservations the settlements
 * among them resolve. A reservation settled in the same batch is written resolved: a catch-up
 * over millions of events then updates next to nothing, and leaves no dead rows in the partial
 * index of open reservations.
 */
export async function saveLedgerEntries(tx: Sql, rows: readonly LedgerEntryRow[]): Promise<void> {
  if (rows.length === 0) return;
  const settledAt = new Map(rows.filter(isSettlement).map((row) => [`${row.accountId}/${row.taskId}`, row.createdAt]));
  const records = rows.map((row) => ({
    id: row.id,
    account_id: row.accountId,
    type: row.type,
    amount: row.amount,
    task_id: row.taskId,
    grant_id: row.grantId,
    reason: row.reason,
    global_position: row.globalPosition,
    created_at: row.createdAt,
    resolved_at: row.type === 'reserved' ? (settledAt.get(`${row.accountId}/${row.taskId}`) ?? null) : null,
  }));
  await tx.query(
    `INSERT INTO ledger_entries (id, account_id, type, amount, task_id, grant_id, reason, global_position, created_at, resolved_at)
     SELECT id, account_id, type, amount, task_id, grant_id, reason, global_position, created_at, resolved_at
       FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, account_id uuid, type text, amount bigint, task_id text,
            grant_id text, reason text, global_position bigint, created_at timestamptz, resolved_at timestamptz)
     ON CONFLICT (id) DO NOTHING`,
    [JSON.stringify(records)],
  );
  const reservedHere = new Set(records.filter((record) => record.type === 'reserved').map((record) => `${record.account_id}/${record.task_id}`));
  const settlements = records.filter((record) => isSettlement(record) && !reservedHere.has(`${record.account_id}/${record.task_id}`));
  if (settlements.length === 0) return;
  await tx.query(
    `UPDATE ledger_entries e SET resolved_at = s.created_at
       FROM jsonb_to_recordset($1::jsonb) AS s(account_id uuid, task_id text, created_at timestamptz)
      WHERE e.account_id = s.account_id AND e.task_id = s.task_id AND e.type = 'reserved' AND e.resolved_at IS NULL`,
    [JSON.stringify(settlements)],
  );
}

function isSettlement(entry: { readonly type: string }): boolean {
  return entry.type === 'captured' || entry.type === 'released';
}
