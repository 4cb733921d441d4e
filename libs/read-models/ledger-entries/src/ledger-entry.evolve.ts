import type { CreditMovement, Recorded } from '@darkroom/contracts';
import { assertNever } from '@darkroom/kernel';

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
      const { reservationId, amount, rejectedAt, reason } = event.data;
      return {
        ...base,
        type: 'reservation_rejected',
        amount,
        taskId: reservationId,
        grantId: null,
        reason: reason ?? 'insufficient_credits',
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
