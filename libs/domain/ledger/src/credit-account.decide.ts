import type { CreditAccountEvent, CreditReleaseReason, SpendCapBreach } from '@darkroom/contracts';
import { assertNever, DomainError, type SubjectState } from '@darkroom/kernel';
import type {
  CaptureCredits,
  CreditAccountCommand,
  ExpireReservation,
  GrantCredits,
  ReleaseCredits,
  ReserveCredits,
  ReserveBatch,
  SetSpendCap,
} from './credit-account.commands';
import { availableCredits, type CreditSubject, type CreditTotals, type DeferredSettlement, type Reservation } from './credit-account.state';
import { capBreached, capKey, MAX_SPEND_CAPS } from './spend-caps';

/** What a command sees: the account's totals and the history of the grant or reservation it names. */
export type CreditAccountState = SubjectState<CreditTotals, CreditSubject>;

/**
 * Two-phase transfers: a reservation holds credits, then resolves exactly once by capture
 * or release. Repeated commands (redelivered messages) decide nothing; the same id with a
 * different amount is a bug upstream and is refused. A capture or release that arrives before
 * its reservation is kept, and settles the reservation as it is made: the order in which a
 * task's events reach the ledger never leaves credits held.
 */
export function decideCreditAccount(command: CreditAccountCommand, state: CreditAccountState): readonly CreditAccountEvent[] {
  switch (command.type) {
    case 'GrantCredits':
      return grant(command, state.subject);
    case 'ReserveCredits':
      return reserve(command, state);
    case 'CaptureCredits':
    case 'ReleaseCredits':
      return settle(command, state.subject);
    case 'ExpireReservation':
      return expire(command, state.subject);
    case 'SetSpendCap':
      return setSpendCap(command, state.summary);
    case 'ReserveBatch':
      return reserveBatch(command, state);
    default:
      return assertNever(command);
  }
}

function grant(command: GrantCredits, subject: CreditSubject): readonly CreditAccountEvent[] {
  const { accountId, grantId, amount, reason, now } = command;
  assertAmount(amount);
  if (subject.grant !== undefined) {
    if (subject.grant === amount) return [];
    throw new DomainError('grant_conflict', 'conflict', `Grant ${grantId} was already made with another amount`, {
      grantId,
      amount,
      recordedAmount: subject.grant,
    });
  }
  return [{ type: 'CreditsGranted', data: { accountId, grantId, amount, reason, grantedAt: now } }];
}

function reserve(command: ReserveCredits, { summary, subject }: CreditAccountState): readonly CreditAccountEvent[] {
  const { accountId, reservationId, amount, spender, now } = command;
  assertAmount(amount);
  const seen = subject.reservation;
  if (seen !== undefined) {
    if (seen.amount === amount) return [];
    throw new DomainError('reservation_conflict', 'conflict', `Reservation ${reservationId} was already made with another amount`, {
      reservationId,
      amount,
      recordedAmount: seen.amount,
    });
  }
  const available = availableCredits(summary);
  if (available < amount) {
    return [{ type: 'CreditsReservationRejected', data: { accountId, reservationId, amount, available, rejectedAt: now } }];
  }
  // Decided here, in the account's one decision, so concurrent requests can never overrun a cap.
  const cap = capBreached(summary.caps, spender, amount, now);
  if (cap) {
    return [
      {
        type: 'CreditsReservationRejected',
        data: { accountId, reservationId, amount, available, rejectedAt: now, reason: 'spend_cap_reached', cap },
      },
    ];
  }
  const made = { amount, status: 'open', reservedAt: now, ...(spender ? { spender } : {}) } satisfies Reservation;
  const reserved: CreditAccountEvent = {
    type: 'CreditsReserved',
    data: { accountId, reservationId, amount, reservedAt: now, ...(spender ? { spender } : {}) },
  };
  const { deferred } = subject;
  if (!deferred) return [reserved];
  const settled: CreditAccountEvent =
    deferred.settlement === 'capture'
      ? { type: 'CreditsCaptured', data: { accountId, reservationId, amount, capturedAt: now } }
      : releasedEvent(accountId, reservationId, made, now, deferred.reason);
  return [reserved, settled];
}

/** A release carries what its reservation was for, so the caps it counted in count it out. */
function releasedEvent(
  accountId: string,
  reservationId: string,
  reservation: Reservation,
  now: string,
  reason: CreditReleaseReason | undefined,
): CreditAccountEvent {
  const { amount, spender, reservedAt } = reservation;
  return {
    type: 'CreditsReleased',
    data: {
      accountId,
      reservationId,
      amount,
      releasedAt: now,
      ...(reason ? { reason } : {}),
      ...(spender && reservedAt ? { spender, reservedAt } : {}),
    },
  };
}

/** Most items one batch holds. */
export const MAX_BATCH_ITEMS = 1000;

/**
 * A batch's whole price in one decision: every item reserved (one CreditsReserved each, in the
 * same append) or none, for credits or for a cap of its spender. The same batch again decides
 * nothing; the same id with other items is refused.
 */
function reserveBatch(command: ReserveBatch, { summary, subject }: CreditAccountState): readonly CreditAccountEvent[] {
  const { accountId, batchId, items, spender, now } = command;
  for (const item of items) assertAmount(item.amount);
  if (items.length === 0 || items.length > MAX_BATCH_ITEMS || new Set(items.map((item) => item.reservationId)).size !== items.length) {
    throw new DomainError('invalid_batch', 'validation', `A batch holds 1 to ${MAX_BATCH_ITEMS} items with distinct ids`, { count: items.length });
  }
  const amount = items.reduce((sum, item) => sum + item.amount, 0);
  const count = items.length;
  if (subject.batch !== undefined) {
    if (subject.batch.amount === amount && subject.batch.count === count) return [];
    throw new DomainError('reservation_conflict', 'conflict', `Batch ${batchId} was already decided with other items`, { batchId, amount, count });
  }
  const available = availableCredits(summary);
  const rejected = (reason: 'insufficient_credits' | 'spend_cap_reached', cap?: SpendCapBreach): CreditAccountEvent => ({
    type: 'CreditsBatchRejected',
    data: { accountId, batchId, amount, count, available, rejectedAt: now, reason, ...(cap ? { cap } : {}) },
  });
  if (available < amount) return [rejected('insufficient_credits')];
  const cap = capBreached(summary.caps, spender, amount, now);
  if (cap) return [rejected('spend_cap_reached', cap)];
  const tags = spender ? { spender } : {};
  return [
    { type: 'CreditsBatchReserved', data: { accountId, batchId, amount, count, reservedAt: now, ...tags } },
    ...items.map(
      ({ reservationId, amount: itemAmount }): CreditAccountEvent => ({
        type: 'CreditsReserved',
        data: { accountId, reservationId, amount: itemAmount, reservedAt: now, ...tags },
      }),
    ),
  ];
}

/** A cap of 0 refuses everything; the same limit again decides nothing; removing a missing cap too. */
function setSpendCap(command: SetSpendCap, summary: CreditTotals): readonly CreditAccountEvent[] {
  const { accountId, scope, id, period, limit, now } = command;
  if (limit !== null && !(Number.isSafeInteger(limit) && limit >= 0)) {
    throw new DomainError('invalid_amount', 'validation', 'A spend cap must be a whole number of credits, 0 or more', { limit });
  }
  const existing = summary.caps[capKey(scope, period, id)];
  if (limit === null) {
    return existing ? [{ type: 'SpendCapRemoved', data: { accountId, scope, id, period, removedAt: now } }] : [];
  }
  if (existing?.limit === limit) return [];
  if (!existing && Object.keys(summary.caps).length >= MAX_SPEND_CAPS) {
    throw new DomainError('too_many_spend_caps', 'conflict', `An account holds at most ${MAX_SPEND_CAPS} spend caps; remove one first`, {
      max: MAX_SPEND_CAPS,
    });
  }
  return [{ type: 'SpendCapSet', data: { accountId, scope, id, period, limit, setAt: now } }];
}

/** The first settlement of a reservation wins; one that comes before the reservation waits for it. */
function settle(command: CaptureCredits | ReleaseCredits, subject: CreditSubject): readonly CreditAccountEvent[] {
  const { accountId, reservationId, now } = command;
  const reason = command.type === 'ReleaseCredits' ? command.reason : undefined;
  const { reservation, deferred } = subject;
  if (reservation === undefined) {
    if (deferred) return [];
    const settlement = command.type === 'CaptureCredits' ? 'capture' : 'release';
    return [{ type: 'CreditsSettlementDeferred', data: { accountId, reservationId, settlement, ...reasonOf(reason), deferredAt: now } }];
  }
  if (reservation.status !== 'open') return [];
  const { amount } = reservation;
  return command.type === 'CaptureCredits'
    ? [{ type: 'CreditsCaptured', data: { accountId, reservationId, amount, capturedAt: now } }]
    : [releasedEvent(accountId, reservationId, reservation, now, reason)];
}

/** Only an open reservation at least `maxAgeSeconds` old; a reservation without a time is never expired. */
function expire(command: ExpireReservation, subject: CreditSubject): readonly CreditAccountEvent[] {
  const { accountId, reservationId, maxAgeSeconds, now } = command;
  const { reservation } = subject;
  if (reservation?.status !== 'open' || reservation.reservedAt === undefined) return [];
  const ageMs = Date.parse(now) - Date.parse(reservation.reservedAt);
  if (!(ageMs >= maxAgeSeconds * 1000)) return [];
  return [releasedEvent(accountId, reservationId, reservation, now, 'expired')];
}

function reasonOf(reason: DeferredSettlement['reason']): { reason?: DeferredSettlement['reason'] } {
  return reason ? { reason } : {};
}

function assertAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new DomainError('invalid_amount', 'validation', 'An amount of credits must be a positive whole number', { amount });
  }
}
