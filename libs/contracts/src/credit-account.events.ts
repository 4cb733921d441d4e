import type { DomainEvent } from './envelope';

export type CreditsGranted = DomainEvent<
  'CreditsGranted',
  { readonly accountId: string; readonly grantId: string; readonly amount: number; readonly reason: string; readonly grantedAt: string }
>;

/** `reservationId` is the task id. */
export type CreditsReserved = DomainEvent<
  'CreditsReserved',
  { readonly accountId: string; readonly reservationId: string; readonly amount: number; readonly reservedAt: string }
>;

export type CreditsReservationRejected = DomainEvent<
  'CreditsReservationRejected',
  {
    readonly accountId: string;
    readonly reservationId: string;
    readonly amount: number;
    /** Credits available when the reservation was refused. */
    readonly available: number;
    readonly rejectedAt: string;
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

export type CreditAccountEvent =
  | CreditsGranted
  | CreditsReserved
  | CreditsReservationRejected
  | CreditsCaptured
  | CreditsReleased
  | CreditsSettlementDeferred;

/** The events that move credits: every credit-account event but a deferred settlement. */
export type CreditMovement = Exclude<CreditAccountEvent, CreditsSettlementDeferred>;
