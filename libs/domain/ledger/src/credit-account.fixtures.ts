import type { CreditAccountEvent, CreditReleaseReason } from '@darkroom/contracts';

/** Shared by the credit-account specs: one account, one instant, events by name. */
export const accountId = 'account-1';
export const now = '2025-11-24T10:00:00.000Z';

export function granted(grantId: string, amount: number): CreditAccountEvent {
  return { type: 'CreditsGranted', data: { accountId, grantId, amount, reason: 'test', grantedAt: now } };
}

export function reserved(reservationId: string, amount: number, reservedAt = now): CreditAccountEvent {
  return { type: 'CreditsReserved', data: { accountId, reservationId, amount, reservedAt } };
}

export function rejected(reservationId: string, amount: number, available: number): CreditAccountEvent {
  return { type: 'CreditsReservationRejected', data: { accountId, reservationId, amount, available, rejectedAt: now } };
}

export function captured(reservationId: string, amount: number): CreditAccountEvent {
  return { type: 'CreditsCaptured', data: { accountId, reservationId, amount, capturedAt: now } };
}

export function released(reservationId: string, amount: number, reason?: CreditReleaseReason, releasedAt = now): CreditAccountEvent {
  return { type: 'CreditsReleased', data: { accountId, reservationId, amount, releasedAt, ...(reason ? { reason } : {}) } };
}

export function deferred(
  reservationId: string,
  settlement: 'capture' | 'release',
  reason?: Exclude<CreditReleaseReason, 'expired'>,
): CreditAccountEvent {
  return {
    type: 'CreditsSettlementDeferred',
    data: { accountId, reservationId, settlement, ...(reason ? { reason } : {}), deferredAt: now },
  };
}
