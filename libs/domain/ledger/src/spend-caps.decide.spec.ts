import { describe, expect, it } from '@jest/globals';
import type { CreditAccountEvent, Spender, SpendCapBreach, SpendCapPeriod, SpendCapScope } from '@darkroom/contracts';
import { foldSubject } from '@darkroom/kernel';
import { subjectDeciderSpec } from '@darkroom/testing';
import type { CreditAccountCommand } from './credit-account.commands';
import { creditAccountDecider } from './credit-account.decider';
import { accountId, captured, granted, now } from './credit-account.fixtures';
import { capKey, MAX_SPEND_CAPS } from './spend-caps';

const spec = subjectDeciderSpec(creditAccountDecider);
const alice: Spender = { keyId: 'key-1', user: 'alice' };
const tomorrow = '2025-11-25T10:00:00.000Z';
const nextMonth = '2025-12-01T00:00:00.000Z';

describe('spend caps in the credit account decider', () => {
  describe('setting caps', () => {
    it('sets a cap', () => {
      spec.given([]).when(setCap('user', 'alice', 'day', 10)).then([capSet('user', 'alice', 'day', 10)]);
    });
    it('ignores the same limit again', () => {
      spec.given([capSet('user', 'alice', 'day', 10)]).when(setCap('user', 'alice', 'day', 10)).then([]);
    });
    it('changes a limit', () => {
      spec.given([capSet('user', 'alice', 'day', 10)]).when(setCap('user', 'alice', 'day', 3)).then([capSet('user', 'alice', 'day', 3)]);
    });
    it('removes a cap with a null limit, and ignores removing a missing one', () => {
      spec.given([capSet('key', 'key-1', 'month', 10)]).when(setCap('key', 'key-1', 'month', null)).then([capRemoved('key', 'key-1', 'month')]);
      spec.given([]).when(setCap('key', 'key-1', 'month', null)).then([]);
    });
    it.each([-1, 1.5, Number.NaN])('refuses a limit of %p', (limit) => {
      spec.given([]).when(setCap('user', 'alice', 'day', limit)).thenThrows('invalid_amount', 'validation');
    });
    it('refuses a cap past the most an account holds, but still changes an existing one', () => {
      const full = Array.from({ length: MAX_SPEND_CAPS }, (_, i) => capSet('user', `u${i}`, 'day', 5));
      spec.given(full).when(setCap('user', 'one-more', 'day', 5)).thenThrows('too_many_spend_caps', 'conflict');
      spec.given(full).when(setCap('user', 'u7', 'day', 6)).then([capSet('user', 'u7', 'day', 6)]);
    });
  });

  describe('reserving under caps', () => {
    const funded = (): CreditAccountEvent[] => [granted('g1', 1000), capSet('user', 'alice', 'day', 10)];
    it('reserves up to the cap exactly', () => {
      spec.given([...funded(), reserved('t1', 6)]).when(reserve('t2', 4)).then([reserved('t2', 4)]);
    });
    it('refuses a reservation that would go over the cap, saying which cap', () => {
      spec
        .given([...funded(), reserved('t1', 6)])
        .when(reserve('t2', 5))
        .then([capRejected('t2', 5, 994, { scope: 'user', id: 'alice', period: 'day', limit: 10, used: 6 })]);
    });
    it('refuses everything under a cap of 0', () => {
      spec
        .given([granted('g1', 10), capSet('key', 'key-1', 'month', 0)])
        .when(reserve('t1', 1))
        .then([capRejected('t1', 1, 10, { scope: 'key', id: 'key-1', period: 'month', limit: 0, used: 0 })]);
    });
    it('applies the key cap as well as the user cap', () => {
      spec
        .given([...funded(), capSet('key', 'key-1', 'month', 3)])
        .when(reserve('t1', 4))
        .then([capRejected('t1', 4, 1000, { scope: 'key', id: 'key-1', period: 'month', limit: 3, used: 0 })]);
    });
    it('does not apply a cap to another user, or to a request naming none', () => {
      spec.given([...funded(), reserved('t1', 10)]).when(reserve('t2', 5, { keyId: 'key-1', user: 'bob' })).then([reserved('t2', 5, { keyId: 'key-1', user: 'bob' })]);
      spec.given([...funded(), reserved('t1', 10)]).when(reserve('t3', 5, null)).then([reserved('t3', 5, null)]);
    });
    it('gives a released reservation back to the cap', () => {
      spec.given([...funded(), reserved('t1', 10), released('t1', 10)]).when(reserve('t2', 10)).then([reserved('t2', 10)]);
    });
    it('keeps a captured reservation counted', () => {
      spec
        .given([...funded(), reserved('t1', 10), captured('t1', 10)])
        .when(reserve('t2', 1))
        .then([capRejected('t2', 1, 990, { scope: 'user', id: 'alice', period: 'day', limit: 10, used: 10 })]);
    });
    it('starts a new period at zero', () => {
      spec.given([...funded(), reserved('t1', 10)]).when(reserve('t2', 10, alice, tomorrow)).then([reserved('t2', 10, alice, tomorrow)]);
    });
    it('does not let a release from an earlier period lower the new one', () => {
      const history = [...funded(), reserved('t1', 10), reserved('t2', 10, alice, tomorrow), released('t1', 10, tomorrow)];
      spec
        .given(history)
        .when(reserve('t3', 1, alice, tomorrow))
        .then([capRejected('t3', 1, 990, { scope: 'user', id: 'alice', period: 'day', limit: 10, used: 10 }, tomorrow)]);
    });
    it('counts a monthly cap across days, and resets it with the month', () => {
      const monthly = [granted('g1', 1000), capSet('user', 'alice', 'month', 10), reserved('t1', 8)];
      spec
        .given(monthly)
        .when(reserve('t2', 3, alice, tomorrow))
        .then([capRejected('t2', 3, 992, { scope: 'user', id: 'alice', period: 'month', limit: 10, used: 8 }, tomorrow)]);
      spec.given(monthly).when(reserve('t2', 10, alice, nextMonth)).then([reserved('t2', 10, alice, nextMonth)]);
    });
    it('counts only while a cap exists: a new cap starts at zero', () => {
      spec.given([granted('g1', 1000), reserved('t1', 10), capSet('user', 'alice', 'day', 10)]).when(reserve('t2', 10)).then([reserved('t2', 10)]);
    });
    it('refuses for credits first when both are short', () => {
      spec.given([granted('g1', 3), capSet('user', 'alice', 'day', 1)]).when(reserve('t1', 4)).then([
        { type: 'CreditsReservationRejected', data: { accountId, reservationId: 't1', amount: 4, available: 3, rejectedAt: now } },
      ]);
    });
    it('ignores a repeat of a reservation refused for its cap', () => {
      const refused = capRejected('t1', 11, 1000, { scope: 'user', id: 'alice', period: 'day', limit: 10, used: 0 });
      spec.given([...funded(), refused]).when(reserve('t1', 11)).then([]);
    });
    it('counts a reservation made and released at once (its release came first) in and out again', () => {
      const history = [
        ...funded(),
        { type: 'CreditsSettlementDeferred', data: { accountId, reservationId: 't1', settlement: 'release', deferredAt: now } },
      ] satisfies CreditAccountEvent[];
      spec.given(history).when(reserve('t1', 10)).then([reserved('t1', 10), released('t1', 10)]);
      const after = [...history, reserved('t1', 10), released('t1', 10)];
      spec.given(after).when(reserve('t2', 10)).then([reserved('t2', 10)]);
    });
    it('gives an expired reservation back to the cap', () => {
      const later = '2025-11-24T17:00:00.000Z';
      spec
        .given([...funded(), reserved('t1', 10)])
        .when({ type: 'ExpireReservation', accountId, reservationId: 't1', maxAgeSeconds: 3600, now: later })
        .then([{ ...released('t1', 10, later), data: { ...released('t1', 10, later).data, reason: 'expired' } } as CreditAccountEvent]);
    });
  });

  describe('what the summary holds', () => {
    it('one counter per cap for its current period, however many reservations', () => {
      const history = [granted('g1', 100_000), capSet('user', 'alice', 'day', 100_000)];
      for (let i = 0; i < 500; i += 1) history.push(reserved(`t${i}`, 2), captured(`t${i}`, 2));
      const { summary } = foldSubject(creditAccountDecider, history, '');
      expect(summary.caps).toEqual({
        [capKey('user', 'day', 'alice')]: { scope: 'user', id: 'alice', period: 'day', limit: 100_000, window: '2025-11-24', used: 1000 },
      });
    });
    it('drops a removed cap', () => {
      const history = [capSet('user', 'alice', 'day', 10), reserved('t1', 2), capRemoved('user', 'alice', 'day')];
      expect(foldSubject(creditAccountDecider, history, '').summary.caps).toEqual({});
    });
  });
});

function setCap(scope: SpendCapScope, id: string, period: SpendCapPeriod, limit: number | null): CreditAccountCommand {
  return { type: 'SetSpendCap', accountId, scope, id, period, limit, now };
}
function capSet(scope: SpendCapScope, id: string, period: SpendCapPeriod, limit: number): CreditAccountEvent {
  return { type: 'SpendCapSet', data: { accountId, scope, id, period, limit, setAt: now } };
}
function capRemoved(scope: SpendCapScope, id: string, period: SpendCapPeriod): CreditAccountEvent {
  return { type: 'SpendCapRemoved', data: { accountId, scope, id, period, removedAt: now } };
}
/** `spender` null: a request naming no key or user. */
function reserve(reservationId: string, amount: number, spender: Spender | null = alice, at = now): CreditAccountCommand {
  return { type: 'ReserveCredits', accountId, reservationId, amount, ...(spender ? { spender } : {}), now: at };
}
function reserved(reservationId: string, amount: number, spender: Spender | null = alice, at = now): CreditAccountEvent {
  return { type: 'CreditsReserved', data: { accountId, reservationId, amount, reservedAt: at, ...(spender ? { spender } : {}) } };
}
/** A release of a reservation `alice` made at `now`. */
function released(reservationId: string, amount: number, at = now): CreditAccountEvent {
  return { type: 'CreditsReleased', data: { accountId, reservationId, amount, releasedAt: at, spender: alice, reservedAt: now } };
}
function capRejected(reservationId: string, amount: number, available: number, cap: SpendCapBreach, at = now): CreditAccountEvent {
  return {
    type: 'CreditsReservationRejected',
    data: { accountId, reservationId, amount, available, rejectedAt: at, reason: 'spend_cap_reached', cap },
  };
}

describe('batch reservation in the credit account decider', () => {
  const items = (count: number, amount = 1) => Array.from({ length: count }, (_, i) => ({ reservationId: `b1-${i}`, amount }));
  const reserveBatch = (count: number, at = now, spender: Spender | null = alice): CreditAccountCommand => ({
    type: 'ReserveBatch',
    accountId,
    batchId: 'b1',
    items: items(count),
    ...(spender ? { spender } : {}),
    now: at,
  });
  const batchReserved = (count: number): CreditAccountEvent[] => [
    { type: 'CreditsBatchReserved', data: { accountId, batchId: 'b1', amount: count, count, reservedAt: now, spender: alice } },
    ...items(count).map(({ reservationId, amount }) => reserved(reservationId, amount)),
  ];
  const batchRejected = (count: number, available: number, reason: 'insufficient_credits' | 'spend_cap_reached', cap?: SpendCapBreach) =>
    ({
      type: 'CreditsBatchRejected',
      data: { accountId, batchId: 'b1', amount: count, count, available, rejectedAt: now, reason, ...(cap ? { cap } : {}) },
    }) as CreditAccountEvent;

  it('reserves every item in one decision', () => {
    spec.given([granted('g1', 200)]).when(reserveBatch(200)).then(batchReserved(200));
  });
  it('reserves none when the whole price is not there', () => {
    spec.given([granted('g1', 150)]).when(reserveBatch(200)).then([batchRejected(200, 150, 'insufficient_credits')]);
  });
  it("reserves none when the whole price would go over the spender's cap", () => {
    spec
      .given([granted('g1', 1000), capSet('user', 'alice', 'day', 100)])
      .when(reserveBatch(200))
      .then([batchRejected(200, 1000, 'spend_cap_reached', { scope: 'user', id: 'alice', period: 'day', limit: 100, used: 0 })]);
  });
  it('ignores the same batch again, and refuses the same id with other items', () => {
    const history = [granted('g1', 500), ...batchReserved(200)];
    spec.given(history).when(reserveBatch(200)).then([]);
    spec.given(history).when(reserveBatch(199)).thenThrows('reservation_conflict', 'conflict');
  });
  it("takes an item's own reservation (its task's GenerationCreated) as the repeat it is", () => {
    spec.given([granted('g1', 500), ...batchReserved(3)]).when(reserve('b1-1', 1)).then([]);
  });
  it('counts the batch against the cap and the balance', () => {
    const history = [granted('g1', 300), capSet('user', 'alice', 'day', 250), ...batchReserved(200)];
    spec.given(history).when(reserve('t9', 50)).then([reserved('t9', 50)]);
    const { summary } = foldSubject(creditAccountDecider, history, '');
    expect(summary).toMatchObject({ granted: 300, reserved: 200 });
    expect(summary.caps[capKey('user', 'day', 'alice')]?.used).toBe(200);
  });
  it('releases an item alone (a canceled item gives back its share)', () => {
    spec.given([granted('g1', 300), ...batchReserved(3)]).when({ type: 'ReleaseCredits', accountId, reservationId: 'b1-2', now }).then([released('b1-2', 1)]);
  });
  it.each([0, 1001])('refuses a batch of %p items', (count) => {
    spec.given([granted('g1', 5000)]).when(reserveBatch(count)).thenThrows('invalid_batch', 'validation');
  });
});
