import type { Spender, SpendCapPeriod, SpendCapScope } from '@darkroom/contracts';

/** Every command carries the time it is decided at (ISO 8601); the domain reads no clock. */
interface Timed {
  readonly now: string;
}

/** Add credits. `grantId` makes the grant idempotent. */
export interface GrantCredits extends Timed {
  readonly type: 'GrantCredits';
  readonly accountId: string;
  readonly grantId: string;
  /** Whole credits, > 0. */
  readonly amount: number;
  readonly reason: string;
}

/** Hold credits for a task; `reservationId` is the task id. */
export interface ReserveCredits extends Timed {
  readonly type: 'ReserveCredits';
  readonly accountId: string;
  readonly reservationId: string;
  /** Whole credits, > 0. */
  readonly amount: number;
  /** The key and end user it is for: their spend caps apply. */
  readonly spender?: Spender;
}

/** Spend a held reservation: the task completed. */
export interface CaptureCredits extends Timed {
  readonly type: 'CaptureCredits';
  readonly accountId: string;
  readonly reservationId: string;
}

/** Give a held reservation back: the task failed or was canceled. */
export interface ReleaseCredits extends Timed {
  readonly type: 'ReleaseCredits';
  readonly accountId: string;
  readonly reservationId: string;
  readonly reason?: 'generation_failed' | 'generation_canceled';
}

/**
 * The backstop: give a reservation back when it is still open `maxAgeSeconds` after it was
 * made (its task's capture or release never came). Younger or resolved ones decide nothing.
 */
export interface ExpireReservation extends Timed {
  readonly type: 'ExpireReservation';
  readonly accountId: string;
  readonly reservationId: string;
  readonly maxAgeSeconds: number;
}

/** Set (or, with `limit: null`, remove) the cap on what one key or end user reserves per period. */
export interface SetSpendCap extends Timed {
  readonly type: 'SetSpendCap';
  readonly accountId: string;
  readonly scope: SpendCapScope;
  readonly id: string;
  readonly period: SpendCapPeriod;
  /** Whole credits >= 0, or null. */
  readonly limit: number | null;
}

/** Hold a whole batch's price in one decision: every item or none. */
export interface ReserveBatch extends Timed {
  readonly type: 'ReserveBatch';
  readonly accountId: string;
  readonly batchId: string;
  /** One reservation per item; `reservationId` is the item's task id. */
  readonly items: readonly { readonly reservationId: string; readonly amount: number }[];
  readonly spender?: Spender;
}

export type CreditAccountCommand =
  | GrantCredits
  | ReserveCredits
  | CaptureCredits
  | ReleaseCredits
  | ExpireReservation
  | SetSpendCap
  | ReserveBatch;
