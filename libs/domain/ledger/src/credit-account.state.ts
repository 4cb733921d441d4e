import type { CreditAccountEvent, CreditReleaseReason, CreditsBatchRejected, Spender } from '@darkroom/contracts';
import { assertNever } from '@darkroom/kernel';
import { capsAfter, type SpendCapTallies } from './spend-caps';

/**
 * The whole account in three numbers and its spend caps: what a new reservation needs to know.
 * It is all the account-wide state there is, so a command costs the same on the millionth task
 * as on the first: the caps are at most `MAX_SPEND_CAPS`, each with one counter for its current
 * period only (decision 0028).
 */
export interface CreditTotals {
  /** Sum of all grants. */
  readonly granted: number;
  /** Sum of all captured reservations. */
  readonly captured: number;
  /** Sum of the open reservations. */
  readonly reserved: number;
  /** The account's spend caps with their current period's usage. */
  readonly caps: SpendCapTallies;
}

/** What became of a reservation; only an `open` one holds credits. */
export type ReservationStatus = 'open' | 'captured' | 'released' | 'rejected';

export interface Reservation {
  readonly amount: number;
  readonly status: ReservationStatus;
  /** When it was made (ISO 8601); kept while it is open, for the expiry backstop and spend caps. */
  readonly reservedAt?: string;
  /** Who spends it, kept while it is open: a release lowers their caps' usage. */
  readonly spender?: Spender;
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
  /** A batch's decision, once made. */
  readonly batch?: {
    readonly amount: number;
    readonly count: number;
    readonly status: 'reserved' | 'rejected';
    /** A rejection's reason, what was available and the cap it hit. */
    readonly rejection?: Pick<CreditsBatchRejected['data'], 'reason' | 'available' | 'cap'>;
  };
}

export const initialCreditTotals = (): CreditTotals => ({ granted: 0, captured: 0, reserved: 0, caps: {} });

export const initialCreditSubject = (): CreditSubject => ({});

/** The subject an event or command is about: grants, reservations and caps have ids of their own. */
export const grantSubject = (grantId: string) => `grant:${grantId}`;
export const reservationSubject = (reservationId: string) => `reservation:${reservationId}`;
export const capSubject = (scope: string, period: string, id: string) => `cap:${scope}:${period}:${id}`;
export const batchSubject = (batchId: string) => `batch:${batchId}`;

export function subjectOfCreditEvent(event: CreditAccountEvent): string {
  switch (event.type) {
    case 'CreditsGranted':
      return grantSubject(event.data.grantId);
    case 'SpendCapSet':
    case 'SpendCapRemoved':
      return capSubject(event.data.scope, event.data.period, event.data.id);
    case 'CreditsBatchReserved':
    case 'CreditsBatchRejected':
      return batchSubject(event.data.batchId);
    default:
      return reservationSubject(event.data.reservationId);
  }
}

/** Credits a new reservation can take: granted − captured − open reservations, never below zero. */
export function availableCredits(totals: CreditTotals): number {
  return Math.max(0, totals.granted - totals.captured - totals.reserved);
}

export function evolveCreditTotals(totals: CreditTotals, event: CreditAccountEvent): CreditTotals {
  const caps = capsAfter(totals.caps, event);
  const next = caps === totals.caps ? totals : { ...totals, caps };
  return evolveAmounts(next, event);
}

function evolveAmounts(totals: CreditTotals, event: CreditAccountEvent): CreditTotals {
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
    case 'SpendCapSet':
    case 'SpendCapRemoved':
    case 'CreditsBatchReserved':
    case 'CreditsBatchRejected':
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
      const { amount, reservedAt, spender } = event.data;
      return { ...subject, reservation: { amount, status: 'open', reservedAt, ...(spender ? { spender } : {}) } };
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
    case 'SpendCapSet':
    case 'SpendCapRemoved':
      return subject;
    case 'CreditsBatchReserved':
    case 'CreditsBatchRejected': {
      if (event.type === 'CreditsBatchReserved') return { ...subject, batch: { amount: event.data.amount, count: event.data.count, status: 'reserved' } };
      const { amount, count, reason, available, cap } = event.data;
      return { ...subject, batch: { amount, count, status: 'rejected', rejection: { reason, available, ...(cap ? { cap } : {}) } } };
    }
    default:
      return assertNever(event);
  }
}
