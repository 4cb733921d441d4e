import type { Sql } from '@darkroom/database';
import type { LedgerEntryRow, LedgerEntryType } from './ledger-entry.evolve';

export interface LedgerEntryPage {
  /** Newest first. */
  readonly entries: readonly LedgerEntryRow[];
  /** True when older entries follow the last one. */
  readonly hasMore: boolean;
}

interface EntryRecord {
  id: string;
  account_id: string;
  type: LedgerEntryType;
  amount: string;
  task_id: string | null;
  grant_id: string | null;
  reason: string | null;
  position: string;
  created_at: Date;
}

/**
 * One page of an account's entries, newest first: those recorded before `beforePosition`
 * (a global log position, decimal string) when given.
 */
export async function listLedgerEntries(
  sql: Sql,
  accountId: string,
  page: { readonly limit: number; readonly beforePosition?: string },
): Promise<LedgerEntryPage> {
  // The position is selected as text under another name: ORDER BY an output alias of the same
  // name would sort the text ("99" after "100").
  const { rows } = await sql.query<EntryRecord>(
    `SELECT id, account_id, type, amount, task_id, grant_id, reason, global_position::text AS position, created_at
       FROM ledger_entries
      WHERE account_id = $1 AND ($2::bigint IS NULL OR global_position < $2::bigint)
      ORDER BY ledger_entries.global_position DESC
      LIMIT $3`,
    [accountId, page.beforePosition ?? null, page.limit + 1],
  );
  return { entries: rows.slice(0, page.limit).map(toEntry), hasMore: rows.length > page.limit };
}

function toEntry(record: EntryRecord): LedgerEntryRow {
  return {
    id: record.id,
    accountId: record.account_id,
    type: record.type,
    amount: Number(record.amount),
    taskId: record.task_id,
    grantId: record.grant_id,
    reason: record.reason,
    globalPosition: record.position,
    createdAt: new Date(record.created_at).toISOString(),
  };
}
