import type { DomainEvent } from './envelope';

export type CreditsGranted = DomainEvent<
  'CreditsGranted',
  { readonly accountId: string; readonly grantId: string; readonly amount: number; readonly reason: string; readonly grantedAt: string }
>;

/**
 * Who spends a reservation's credits, for spend caps and usage: the API key that asked and the
 * product's end user it named (`user` on the request). Absent on reservations made before.
 */
export interface Spender {
  readonly keyId?: string;
  readonly user?: string;
}

/** `reservationId` is the task id. */
export type CreditsReserved = DomainEvent<
  'CreditsReserved',
  {
    readonly accountId: string;
    readonly reservationId: string;
    readonly amount: number;
    readonly reservedAt: string;
    readonly spender?: Spender;
  }
>;

/** Why a reservation was refused; absent (on events recorded before) means `insufficient_credits`. */
export type ReservationRejectionReason = 'insufficient_credits' | 'spend_cap_reached';

/** What a spend cap is on: one API key, or one end user (`user` on requests). */
export type SpendCapScope = 'key' | 'user';
/** A cap's period: a UTC day or a UTC calendar month. */
export type SpendCapPeriod = 'day' | 'month';

/** The cap a refused reservation would have gone over. */
export interface SpendCapBreach {
  readonly scope: SpendCapScope;
  readonly id: string;
  readonly period: SpendCapPeriod;
  readonly limit: number;
  /** Credits already reserved or spent against the cap in its current period. */
  readonly used: number;
}

export type CreditsReservationRejected = DomainEvent<
  'CreditsReservationRejected',
  {
    readonly accountId: string;
    readonly reservationId: string;
    readonly amount: number;
    /** Credits available when the reservation was refused. */
    readonly available: number;
    readonly rejectedAt: string;
    readonly reason?: ReservationRejectionReason;
    /** With `spend_cap_reached`: the cap. */
    readonly cap?: SpendCapBreach;
  }
>;

export type CreditsCaptured = DomainEvent<
  'CreditsCaptured',
  { readonly accountId: string; readonly reservationId: string; readonly amount: number; readonly capturedAt: string }
>;

/**
 * Why held credits went back: the task failed or was canceled, or the ledger's backstop
 * expired a reservation left open past its maximum age. Absent on events recorded before
 * reasons were kept.
 */
export type CreditReleaseReason = 'generation_failed' | 'generation_canceled' | 'expired';

export type CreditsReleased = DomainEvent<
  'CreditsReleased',
  {
    readonly accountId: string;
    readonly reservationId: string;
    readonly amount: number;
    readonly releasedAt: string;
    readonly reason?: CreditReleaseReason;
    /** The released reservation's spender and when it was made: its period's usage goes down. */
    readonly spender?: Spender;
    readonly reservedAt?: string;
  }
>;

/**
 * A task's capture or release reached the ledger before its reservation did (competing
 * consumers and retries reorder a task's events). It moves no credits: the reservation, when
 * it comes, is settled the same way as it is made, so nothing stays held.
 */
export type CreditsSettlementDeferred = DomainEvent<
  'CreditsSettlementDeferred',
  {
    readonly accountId: string;
    readonly reservationId: string;
    readonly settlement: 'capture' | 'release';
    /** For a release: why, as the release will say. */
    readonly reason?: Exclude<CreditReleaseReason, 'expired'>;
    readonly deferredAt: string;
  }
>;

/** A cap on what one API key or one end user may reserve per period; `limit` replaces an earlier one. */
export type SpendCapSet = DomainEvent<
  'SpendCapSet',
  {
    readonly accountId: string;
    readonly scope: SpendCapScope;
    readonly id: string;
    readonly period: SpendCapPeriod;
    /** Credits per period, a whole number >= 0. */
    readonly limit: number;
    readonly setAt: string;
  }
>;

export type SpendCapRemoved = DomainEvent<
  'SpendCapRemoved',
  {
    readonly accountId: string;
    readonly scope: SpendCapScope;
    readonly id: string;
    readonly period: SpendCapPeriod;
    readonly removedAt: string;
  }
>;

export type SpendCapEvent = SpendCapSet | SpendCapRemoved;

/**
 * A batch's whole price held in one decision (issue 18): appended with one CreditsReserved per
 * item, which move the credits; this event names the decision and moves nothing itself.
 */
export type CreditsBatchReserved = DomainEvent<
  'CreditsBatchReserved',
  {
    readonly accountId: string;
    readonly batchId: string;
    /** The sum of the items' reservations. */
    readonly amount: number;
    readonly count: number;
    readonly reservedAt: string;
    readonly spender?: Spender;
  }
>;

/** A batch refused as a whole: no item is reserved. */
export type CreditsBatchRejected = DomainEvent<
  'CreditsBatchRejected',
  {
    readonly accountId: string;
    readonly batchId: string;
    readonly amount: number;
    readonly count: number;
    readonly available: number;
    readonly rejectedAt: string;
    readonly reason: ReservationRejectionReason;
    readonly cap?: SpendCapBreach;
  }
>;

export type CreditBatchEvent = CreditsBatchReserved | CreditsBatchRejected;

export type CreditAccountEvent =
  | CreditsGranted
  | CreditsReserved
  | CreditsReservationRejected
  | CreditsCaptured
  | CreditsReleased
  | CreditsSettlementDeferred
  | SpendCapSet
  | SpendCapRemoved
  | CreditsBatchReserved
  | CreditsBatchRejected;

/** The events that move credits: every credit-account event but a deferred settlement, a cap and a batch's decision. */
export type CreditMovement = Exclude<CreditAccountEvent, CreditsSettlementDeferred | SpendCapEvent | CreditBatchEvent>;
