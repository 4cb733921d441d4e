import type { CreditAccountEvent, RecordedEvent } from '@darkroom/contracts';
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

const eventTypes: readonly CreditAccountEvent['type'][] = [
  'CreditsGranted',
  'CreditsReserved',
  'CreditsReservationRejected',
  'CreditsCaptured',
  'CreditsReleased',
];

/** Pure: the entry one credit-account event makes. An entry, once written, never changes. */
export function evolveLedgerEntry(row: LedgerEntryRow | undefined, recorded: RecordedEvent): LedgerEntryRow {
  if (row) return row;
  const event = recorded as unknown as CreditAccountEvent;
  const base = { id: recorded.eventId, accountId: event.data.accountId, globalPosition: recorded.globalPosition };
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
export const ledgerEntryProjection: RowProjection<LedgerEntryRow> = {
  name: 'ledger_entries',
  eventTypes,
  keyOf: (event) => ((event.data as { accountId?: string }).accountId ? event.eventId : undefined),
  evolve: evolveLedgerEntry,
  async load() {
    return undefined;
  },
  async save(tx: Sql, row: LedgerEntryRow) {
    await tx.query(
      `INSERT INTO ledger_entries (id, account_id, type, amount, task_id, grant_id, reason, global_position, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (id) DO NOTHING`,
      [row.id, row.accountId, row.type, row.amount, row.taskId, row.grantId, row.reason, row.globalPosition, row.createdAt],
    );
    if (row.type === 'captured' || row.type === 'released') {
      await tx.query(
        `UPDATE ledger_entries SET resolved_at = $3
          WHERE account_id = $1 AND task_id = $2 AND type = 'reserved' AND resolved_at IS NULL`,
        [row.accountId, row.taskId, row.createdAt],
      );
    }
  },
};
