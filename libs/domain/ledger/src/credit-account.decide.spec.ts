import { describe, it } from '@jest/globals';
import type { CreditAccountEvent } from '@darkroom/contracts';
import { subjectDeciderSpec } from '@darkroom/testing';
import type { CreditAccountCommand } from './credit-account.commands';
import { creditAccountDecider } from './credit-account.decider';
import { accountId, captured, deferred, granted, now, rejected, released, reserved } from './credit-account.fixtures';

const spec = subjectDeciderSpec(creditAccountDecider);

describe('credit account decider', () => {
  describe('new account', () => {
    it('grants credits', () => {
      spec.given([]).when(grant('g1', 10)).then([granted('g1', 10)]);
    });

    it('rejects a reservation when nothing was granted', () => {
      spec.given([]).when(reserve('t1', 4)).then([rejected('t1', 4, 0)]);
    });

    it('defers a capture of a reservation not made yet', () => {
      spec.given([]).when(capture('t1')).then([deferred('t1', 'capture')]);
    });

    it('defers a release of a reservation not made yet, with its reason', () => {
      spec.given([]).when({ ...release('t1'), reason: 'generation_canceled' }).then([deferred('t1', 'release', 'generation_canceled')]);
    });

    it('ignores an expiry of an unknown reservation', () => {
      spec.given([]).when(expire('t1', 60, later(3600))).then([]);
    });

    it.each([0, -3, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses to grant %p credits', (amount) => {
      spec.given([]).when(grant('g1', amount)).thenThrows('invalid_amount', 'validation');
    });

    it.each([0, -3, 1.5, Number.NaN])('refuses to reserve %p credits', (amount) => {
      spec.given([granted('g1', 10)]).when(reserve('t1', amount)).thenThrows('invalid_amount', 'validation');
    });

    it('treats ids that name Object.prototype members as new', () => {
      spec.given([]).when(grant('constructor', 5)).then([granted('constructor', 5)]);
    });
  });

  describe('funded account', () => {
    const history = (): CreditAccountEvent[] => [granted('g1', 10)];

    it('ignores a repeated grant with the same amount', () => {
      spec.given(history()).when(grant('g1', 10)).then([]);
    });

    it('refuses a repeated grant with another amount', () => {
      spec.given(history()).when(grant('g1', 20)).thenThrows('grant_conflict', 'conflict');
    });

    it('adds a second grant', () => {
      spec.given(history()).when(grant('g2', 5)).then([granted('g2', 5)]);
    });

    it('reserves up to the whole available balance', () => {
      spec.given(history()).when(reserve('t1', 10)).then([reserved('t1', 10)]);
    });

    it('rejects a reservation above the available balance', () => {
      spec.given(history()).when(reserve('t1', 11)).then([rejected('t1', 11, 10)]);
    });
  });

  describe('open reservation', () => {
    const history = (): CreditAccountEvent[] => [granted('g1', 10), reserved('t1', 4)];

    it('captures the reserved amount', () => {
      spec.given(history()).when(capture('t1')).then([captured('t1', 4)]);
    });

    it('releases the reserved amount', () => {
      spec.given(history()).when(release('t1')).then([released('t1', 4)]);
    });

    it('says why it released when the command says so', () => {
      spec
        .given(history())
        .when({ ...release('t1'), reason: 'generation_canceled' })
        .then([released('t1', 4, 'generation_canceled')]);
    });

    it('ignores the same reservation again', () => {
      spec.given(history()).when(reserve('t1', 4)).then([]);
    });

    it('refuses the same reservation with another amount', () => {
      spec.given(history()).when(reserve('t1', 5)).thenThrows('reservation_conflict', 'conflict');
    });

    it('counts open reservations against the available balance', () => {
      spec.given(history()).when(reserve('t2', 7)).then([rejected('t2', 7, 6)]);
    });

    it('reserves what the open reservations leave', () => {
      spec.given(history()).when(reserve('t2', 6)).then([reserved('t2', 6)]);
    });
  });

  describe('open reservation reaching its maximum age', () => {
    const history = (): CreditAccountEvent[] => [granted('g1', 10), reserved('t1', 4)];

    it('expires it at exactly the maximum age', () => {
      spec.given(history()).when(expire('t1', 3600, later(3600))).then([released('t1', 4, 'expired', later(3600))]);
    });

    it('expires it long after the maximum age', () => {
      spec.given(history()).when(expire('t1', 60, later(86_400))).then([released('t1', 4, 'expired', later(86_400))]);
    });

    it('leaves a younger reservation open', () => {
      spec.given(history()).when(expire('t1', 3600, later(3599))).then([]);
    });

    it('does not expire twice', () => {
      spec.given([...history(), released('t1', 4, 'expired', later(3600))]).when(expire('t1', 60, later(7200))).then([]);
    });

    it('does not capture after expiry', () => {
      spec.given([...history(), released('t1', 4, 'expired', later(3600))]).when(capture('t1')).then([]);
    });

    it('does not release after expiry', () => {
      spec.given([...history(), released('t1', 4, 'expired', later(3600))]).when(release('t1')).then([]);
    });

    it('ignores the same reservation again after expiry, but refuses it with another amount', () => {
      const expired = [...history(), released('t1', 4, 'expired', later(3600))];
      spec.given(expired).when(reserve('t1', 4)).then([]);
      spec.given(expired).when(reserve('t1', 2)).thenThrows('reservation_conflict', 'conflict');
    });

    it('makes expired credits available again', () => {
      spec.given([...history(), released('t1', 4, 'expired', later(3600))]).when(reserve('t2', 10)).then([reserved('t2', 10)]);
    });

    it('does not expire a captured reservation', () => {
      spec.given([...history(), captured('t1', 4)]).when(expire('t1', 60, later(7200))).then([]);
    });

    it('does not expire a rejected reservation', () => {
      spec.given([granted('g1', 1), rejected('t2', 4, 1)]).when(expire('t2', 60, later(7200))).then([]);
    });
  });

  describe('settlement that arrived before its reservation', () => {
    it('reserves and captures at once', () => {
      spec.given([granted('g1', 10), deferred('t1', 'capture')]).when(reserve('t1', 4)).then([reserved('t1', 4), captured('t1', 4)]);
    });

    it('reserves and releases at once, saying why', () => {
      spec
        .given([granted('g1', 10), deferred('t1', 'release', 'generation_canceled')])
        .when(reserve('t1', 4))
        .then([reserved('t1', 4), released('t1', 4, 'generation_canceled')]);
    });

    it('rejects it as usual when credits are short: nothing is held', () => {
      spec.given([granted('g1', 2), deferred('t1', 'release', 'generation_failed')]).when(reserve('t1', 4)).then([rejected('t1', 4, 2)]);
    });

    it('keeps the first settlement: a second one waits for nothing more', () => {
      spec.given([deferred('t1', 'release', 'generation_canceled')]).when(capture('t1')).then([]);
      spec.given([deferred('t1', 'capture')]).when(release('t1')).then([]);
    });

    it('does not settle twice once the reservation arrived', () => {
      const settled = [granted('g1', 10), deferred('t1', 'capture'), reserved('t1', 4), captured('t1', 4)];
      spec.given(settled).when(capture('t1')).then([]);
      spec.given(settled).when(release('t1')).then([]);
      spec.given(settled).when(reserve('t1', 4)).then([]);
    });

    it('never expires it: it was never open', () => {
      spec.given([granted('g1', 10), deferred('t1', 'capture')]).when(expire('t1', 60, later(7200))).then([]);
    });
  });

  describe('account with a long history', () => {
    const history = (): CreditAccountEvent[] => [
      granted('g1', 10_000),
      ...Array.from({ length: 2000 }, (_, i) => [reserved(`t${i}`, 2), i % 2 ? captured(`t${i}`, 2) : released(`t${i}`, 2)]).flat(),
    ];

    it('ignores a duplicate of a reservation closed long ago, and refuses it with another amount', () => {
      spec.given(history()).when(reserve('t0', 2)).then([]);
      spec.given(history()).when(reserve('t0', 3)).thenThrows('reservation_conflict', 'conflict');
    });

    it('ignores a late capture or release of a reservation closed long ago', () => {
      spec.given(history()).when(capture('t0')).then([]);
      spec.given(history()).when(release('t1')).then([]);
    });

    it('reserves from what the whole history left available', () => {
      spec.given(history()).when(reserve('new', 8000)).then([reserved('new', 8000)]);
      spec.given(history()).when(reserve('new', 8001)).then([rejected('new', 8001, 8000)]);
    });
  });

  describe('captured reservation', () => {
    const history = (): CreditAccountEvent[] => [granted('g1', 10), reserved('t1', 4), captured('t1', 4)];

    it('does not capture twice', () => {
      spec.given(history()).when(capture('t1')).then([]);
    });

    it('does not release after capture', () => {
      spec.given(history()).when(release('t1')).then([]);
    });

    it('does not reserve the same reservation again', () => {
      spec.given(history()).when(reserve('t1', 4)).then([]);
    });

    it('refuses the same reservation with another amount', () => {
      spec.given(history()).when(reserve('t1', 3)).thenThrows('reservation_conflict', 'conflict');
    });

    it('counts captured credits as spent', () => {
      spec.given(history()).when(reserve('t2', 7)).then([rejected('t2', 7, 6)]);
    });
  });

  describe('released reservation', () => {
    const history = (): CreditAccountEvent[] => [granted('g1', 10), reserved('t1', 4), released('t1', 4)];

    it('does not release twice', () => {
      spec.given(history()).when(release('t1')).then([]);
    });

    it('does not capture after release', () => {
      spec.given(history()).when(capture('t1')).then([]);
    });

    it('does not reserve the same reservation again', () => {
      spec.given(history()).when(reserve('t1', 4)).then([]);
    });

    it('makes released credits available again', () => {
      spec.given(history()).when(reserve('t2', 10)).then([reserved('t2', 10)]);
    });
  });

  describe('rejected reservation', () => {
    const history = (): CreditAccountEvent[] => [granted('g1', 2), rejected('t1', 4, 2)];

    it('ignores the same reservation again, even once credits are available', () => {
      spec.given([...history(), granted('g2', 10)]).when(reserve('t1', 4)).then([]);
    });

    it('refuses the same reservation with another amount', () => {
      spec.given(history()).when(reserve('t1', 1)).thenThrows('reservation_conflict', 'conflict');
    });

    it('ignores a capture of a rejected reservation', () => {
      spec.given(history()).when(capture('t1')).then([]);
    });

    it('ignores a release of a rejected reservation', () => {
      spec.given(history()).when(release('t1')).then([]);
    });

    it('holds no credits for a rejected reservation', () => {
      spec.given(history()).when(reserve('t2', 2)).then([reserved('t2', 2)]);
    });
  });
});

function grant(grantId: string, amount: number): CreditAccountCommand {
  return { type: 'GrantCredits', accountId, grantId, amount, reason: 'test', now };
}

function reserve(reservationId: string, amount: number): CreditAccountCommand {
  return { type: 'ReserveCredits', accountId, reservationId, amount, now };
}

function capture(reservationId: string): CreditAccountCommand {
  return { type: 'CaptureCredits', accountId, reservationId, now };
}

function release(reservationId: string): CreditAccountCommand & { type: 'ReleaseCredits' } {
  return { type: 'ReleaseCredits', accountId, reservationId, now };
}

function expire(reservationId: string, maxAgeSeconds: number, at: string): CreditAccountCommand {
  return { type: 'ExpireReservation', accountId, reservationId, maxAgeSeconds, now: at };
}

/** `now` plus some seconds. */
function later(seconds: number): string {
  return new Date(Date.parse(now) + seconds * 1000).toISOString();
}
