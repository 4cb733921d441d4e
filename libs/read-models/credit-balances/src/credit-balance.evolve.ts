import type { CreditMovement, Recorded } from '@darkroom/contracts';
import { assertNever } from '@darkroom/kernel';

export interface CreditBalanceRow {
  readonly accountId: string;
  readonly granted: number;
  readonly reserved: number;
  readonly captured: number;
  readonly available: number;
  readonly updatedAt: string;
}

/** Pure: the balance row after one credit-account event. */
export function evolveCreditBalance(row: CreditBalanceRow | undefined, event: Recorded<CreditMovement>): CreditBalanceRow {
  const current: CreditBalanceRow = row ?? {
    accountId: event.data.accountId,
    granted: 0,
    reserved: 0,
    captured: 0,
    available: 0,
    updatedAt: event.recordedAt,
  };
  const next = { ...current, updatedAt: event.recordedAt };
  switch (event.type) {
    case 'CreditsGranted':
      return { ...next, granted: next.granted + event.data.amount, available: next.available + event.data.amount };
    case 'CreditsReserved':
      return { ...next, reserved: next.reserved + event.data.amount, available: next.available - event.data.amount };
    case 'CreditsReservationRejected':
      return next;
    case 'CreditsCaptured':
      return { ...next, reserved: next.reserved - event.data.amount, captured: next.captured + event.data.amount };
    case 'CreditsReleased':
      return { ...next, reserved: next.reserved - event.data.amount, available: next.available + event.data.amount };
    default:
      return assertNever(event);
  }
}
