import type { CreditAccountEvent } from '@darkroom/contracts';
import { assertNever, DomainError } from '@darkroom/kernel';
import type {
  CaptureCredits,
  CreditAccountCommand,
  ExpireReservation,
  GrantCredits,
  ReleaseCredits,
  ReserveCredits,
} from './credit-account.commands';
import { availableCredits, type CreditAccountState } from './credit-account.state';

/**
 * Two-phase transfers: a reservation holds credits, then resolves exactly once by capture
 * or release. Repeated commands (redelivered messages) decide nothing; the same id with a
 * different amount is a bug upstream and is refused.
 */
export function decideCreditAccount(command: CreditAccountCommand, state: CreditAccountState): readonly CreditAccountEvent[] {
  switch (command.type) {
    case 'GrantCredits':
      return grant(command, state);
    case 'ReserveCredits':
      return reserve(command, state);
    case 'CaptureCredits':
      return capture(command, state);
    case 'ReleaseCredits':
      return release(command, state);
    case 'ExpireReservation':
      return expire(command, state);
    default:
      return assertNever(command);
  }
}

function grant(command: GrantCredits, state: CreditAccountState): readonly CreditAccountEvent[] {
  const { accountId, grantId, amount, reason, now } = command;
  assertAmount(amount);
  const seen = own(state.grants, grantId);
  if (seen !== undefined) {
    if (seen === amount) return [];
    throw new DomainError('grant_conflict', 'conflict', `Grant ${grantId} was already made with another amount`, {
      grantId,
      amount,
      recordedAmount: seen,
    });
  }
  return [{ type: 'CreditsGranted', data: { accountId, grantId, amount, reason, grantedAt: now } }];
}

function reserve(command: ReserveCredits, state: CreditAccountState): readonly CreditAccountEvent[] {
  const { accountId, reservationId, amount, now } = command;
  assertAmount(amount);
  const seen = own(state.reservations, reservationId);
  if (seen !== undefined) {
    if (seen.amount === amount) return [];
    throw new DomainError('reservation_conflict', 'conflict', `Reservation ${reservationId} was already made with another amount`, {
      reservationId,
      amount,
      recordedAmount: seen.amount,
    });
  }
  const available = availableCredits(state);
  return available >= amount
    ? [{ type: 'CreditsReserved', data: { accountId, reservationId, amount, reservedAt: now } }]
    : [{ type: 'CreditsReservationRejected', data: { accountId, reservationId, amount, available, rejectedAt: now } }];
}

function capture(command: CaptureCredits, state: CreditAccountState): readonly CreditAccountEvent[] {
  const { accountId, reservationId, now } = command;
  const reservation = own(state.reservations, reservationId);
  if (reservation?.status !== 'open') return [];
  return [{ type: 'CreditsCaptured', data: { accountId, reservationId, amount: reservation.amount, capturedAt: now } }];
}

function release(command: ReleaseCredits, state: CreditAccountState): readonly CreditAccountEvent[] {
  const { accountId, reservationId, reason, now } = command;
  const reservation = own(state.reservations, reservationId);
  if (reservation?.status !== 'open') return [];
  return [
    {
      type: 'CreditsReleased',
      data: { accountId, reservationId, amount: reservation.amount, releasedAt: now, ...(reason ? { reason } : {}) },
    },
  ];
}

/** Only an open reservation at least `maxAgeSeconds` old; a reservation without a time is never expired. */
function expire(command: ExpireReservation, state: CreditAccountState): readonly CreditAccountEvent[] {
  const { accountId, reservationId, maxAgeSeconds, now } = command;
  const reservation = own(state.reservations, reservationId);
  if (reservation?.status !== 'open' || reservation.reservedAt === undefined) return [];
  const ageMs = Date.parse(now) - Date.parse(reservation.reservedAt);
  if (!(ageMs >= maxAgeSeconds * 1000)) return [];
  return [
    {
      type: 'CreditsReleased',
      data: { accountId, reservationId, amount: reservation.amount, releasedAt: now, reason: 'expired' },
    },
  ];
}

function assertAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new DomainError('invalid_amount', 'validation', 'An amount of credits must be a positive whole number', { amount });
  }
}

/** Ids come from outside: "constructor" or "toString" must not find Object.prototype's. */
function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
