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
}

export type CreditAccountCommand = GrantCredits | ReserveCredits | CaptureCredits | ReleaseCredits;
