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

export type CreditAccountCommand = GrantCredits | ReserveCredits | CaptureCredits | ReleaseCredits | ExpireReservation;
