import type { CreditMovement, Recorded } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import { assertNever } from '@darkroom/kernel';
import type { RowProjection } from '@darkroom/projections';

/** What a ledger entry records; one per credit-account event. */
export type LedgerEntryType = 'granted' | 'reserved' | 'reservation_rejected' | 'captured' | 'released';

export interface LedgerEntryRow {
  /** The event's id: stable across rebuilds. */
  readonly id: string;
  readonly accountId: string;
  readonly type: LedgerEntryType;
  /** Whole credits, always positive; `type` says which way they moved. */
  readonly amount: number;
  /** The reservation id, which is the task id; null for grants. */
  readonly taskId: string | null;
  readonly grantId: string | null;
  /** A grant's reason, `insufficient_credits` for a rejection, or why credits were released. */
  readonly reason: string | null;
  /** The event's position in the global log (decimal string); the list's order and cursor. */
  readonly globalPosition: string;
  /** When the ledger decided it (the event's own time). */
  readonly createdAt: string;
}

/** A deferred settlement moves no credits: it makes no row. */
const eventTypes: readonly CreditMovement['type'][] = [
  'CreditsGranted',
  'CreditsReserved',
  'CreditsReservationRejected',
  'CreditsCaptured',
  'CreditsReleased',
];

/** Pure: the entry one credit-account event makes. An entry, once written, never changes. */
export function evolveLedgerEntry(row: LedgerEntryRow | undefined, event: Recorded<CreditMovement>): LedgerEntryRow {
  if (row) return row;
  const base = { id: event.eventId, accountId: event.data.accountId, globalPosition: event.globalPosition };
  switch (event.type) {
    case 'CreditsGranted': {
      const { grantId, amount, reason, grantedAt } = event.data;
      return { ...base, type: 'granted', amount, taskId: null, grantId, reason, createdAt: grantedAt };
    }
    case 'CreditsReserved': {
      const { reservationId, amount, reservedAt } = event.data;
      return { ...base, type: 'reserved', amount, taskId: reservationId, grantId: null, reason: null, createdAt: reservedAt };
    }
    case 'CreditsReservationRejected': {
      const { reservationId, amount, rejectedAt } = event.data;
      return {
        ...base,
        type: 'reservation_rejected',
        amount,
        taskId: reservationId,
        grantId: null,
        reason: 'insufficient_credits',
        createdAt: rejectedAt,
      };
    }
    case 'CreditsCaptured': {
      const { reservationId, amount, capturedAt } = event.data;
      return { ...base, type: 'captured', amount, taskId: reservationId, grantId: null, reason: null, createdAt: capturedAt };
    }
    case 'CreditsReleased': {
      const { reservationId, amount, reason, releasedAt } = event.data;
      return {
        ...base,
        type: 'released',
        amount,
        taskId: reservationId,
        grantId: null,
        reason: reason ?? null,
        createdAt: releasedAt,
      };
    }
    default:
      return assertNever(event);
  }
}

/**
 * `ledger_entries`, keyed by event id. `load` reads nothing: an entry depends on its event
 * alone, and `save` inserts idempotently. A capture or release also stamps `resolved_at`
 * on its reservation's entry, which is how the expiry backstop finds open reservations.
 */
export const ledgerEntryProjection: RowProjection<LedgerEntryRow, CreditMovement> = {
  name: 'ledger_entries',
  eventTypes,
  keyOf: (event) => (event.data.accountId ? event.eventId : undefined),
  evolve: evolveLedgerEntry,
  async load() {
    return undefined;
  },
  save(tx: Sql, row: LedgerEntryRow) {
    return saveEntries(tx, [row]);
  },
  saveMany: saveEntries,
};

/**
 * Inserts entries (idempotently) in one statement, then stamps the reservations the settlements
 * among them resolve. A reservation settled in the same batch is written resolved: a catch-up
 * over millions of events then updates next to nothing, and leaves no dead rows in the partial
 * index of open reservations.
 */
async function saveEntries(tx: Sql, rows: readonly LedgerEntryRow[]): Promise<void> {
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
