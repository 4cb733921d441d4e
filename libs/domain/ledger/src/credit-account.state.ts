import type { CreditAccountEvent, CreditReleaseReason } from '@darkroom/contracts';
import { assertNever } from '@darkroom/kernel';

/**
 * The whole account in three numbers: what a new reservation needs to know. It is all the
 * account-wide state there is, so a command costs the same on the millionth task as on the first.
 */
export interface CreditTotals {
  /** Sum of all grants. */
  readonly granted: number;
  /** Sum of all captured reservations. */
  readonly captured: number;
  /** Sum of the open reservations. */
  readonly reserved: number;
}

/** What became of a reservation; only an `open` one holds credits. */
export type ReservationStatus = 'open' | 'captured' | 'released' | 'rejected';

export interface Reservation {
  readonly amount: number;
  readonly status: ReservationStatus;
  /** When it was made (ISO 8601); kept while it is open, for the expiry backstop. */
  readonly reservedAt?: string;
}

/** A capture or release that arrived before its reservation. */
export interface DeferredSettlement {
  readonly settlement: 'capture' | 'release';
  readonly reason?: Exclude<CreditReleaseReason, 'expired'>;
}

/**
 * Everything the account's log says about the one grant or reservation a command is about
 * (the subject's own events, folded). Plain data, so it serialises.
 */
export interface CreditSubject {
  /** A grant's amount, once granted. */
  readonly grant?: number;
  /** A reservation, once made (or refused). */
  readonly reservation?: Reservation;
  /** A settlement waiting for its reservation. */
  readonly deferred?: DeferredSettlement;
}

export const initialCreditTotals = (): CreditTotals => ({ granted: 0, captured: 0, reserved: 0 });

export const initialCreditSubject = (): CreditSubject => ({});

/** The subject an event or command is about: grants and reservations have ids of their own. */
export const grantSubject = (grantId: string) => `grant:${grantId}`;
export const reservationSubject = (reservationId: string) => `reservation:${reservationId}`;

export function subjectOfCreditEvent(event: CreditAccountEvent): string {
  return event.type === 'CreditsGranted' ? grantSubject(event.data.grantId) : reservationSubject(event.data.reservationId);
}

/** Credits a new reservation can take: granted − captured − open reservations, never below zero. */
export function availableCredits(totals: CreditTotals): number {
  return Math.max(0, totals.granted - totals.captured - totals.reserved);
}

export function evolveCreditTotals(totals: CreditTotals, event: CreditAccountEvent): CreditTotals {
  switch (event.type) {
    case 'CreditsGranted':
      return { ...totals, granted: totals.granted + event.data.amount };
    case 'CreditsReserved':
      return { ...totals, reserved: totals.reserved + event.data.amount };
    case 'CreditsCaptured':
      return { ...totals, reserved: totals.reserved - event.data.amount, captured: totals.captured + event.data.amount };
    case 'CreditsReleased':
      return { ...totals, reserved: totals.reserved - event.data.amount };
    case 'CreditsReservationRejected':
    case 'CreditsSettlementDeferred':
      return totals;
    default:
      return assertNever(event);
  }
}

export function evolveCreditSubject(subject: CreditSubject, event: CreditAccountEvent): CreditSubject {
  switch (event.type) {
    case 'CreditsGranted':
      return { ...subject, grant: event.data.amount };
    case 'CreditsReserved': {
      const { amount, reservedAt } = event.data;
      return { ...subject, reservation: { amount, status: 'open', reservedAt } };
    }
    case 'CreditsReservationRejected':
      return { ...subject, reservation: { amount: event.data.amount, status: 'rejected' } };
    case 'CreditsCaptured':
      return { ...subject, reservation: { amount: event.data.amount, status: 'captured' } };
    case 'CreditsReleased':
      return { ...subject, reservation: { amount: event.data.amount, status: 'released' } };
    case 'CreditsSettlementDeferred': {
      const { settlement, reason } = event.data;
      return { ...subject, deferred: { settlement, ...(reason ? { reason } : {}) } };
    }
    default:
      return assertNever(event);
  }
}
