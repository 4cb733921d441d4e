import { describe, expect, it } from '@jest/globals';
import type { CreditAccountEvent } from '@darkroom/contracts';
import { DomainError, foldSubject } from '@darkroom/kernel';
import type { CreditAccountCommand } from './credit-account.commands';
import { creditAccountDecider } from './credit-account.decider';
import { accountId, granted, reserved, rejected, captured, released, now } from './credit-account.fixtures';
import { availableCredits, reservationSubject } from './credit-account.state';

const history: CreditAccountEvent[] = [
  granted('g1', 20),
  reserved('t1', 3),
  reserved('t2', 5),
  reserved('t3', 2),
  captured('t1', 3),
  released('t2', 5),
  rejected('t4', 50, 15),
];

describe('available credits', () => {
  it('is granted minus captured minus open reservations', () => {
    const { summary } = foldSubject(creditAccountDecider, history, reservationSubject('t3'));
    expect(availableCredits(summary)).toBe(15);
    expect(summary).toEqual({ granted: 20, captured: 3, reserved: 2, caps: {} });
  });

  it('never reports below zero, even for a stream that overspent', () => {
    const { summary } = foldSubject(creditAccountDecider, [granted('g1', 2), reserved('t1', 5)], reservationSubject('t1'));
    expect(availableCredits(summary)).toBe(0);
  });

  it('never lets available go below zero through any sequence of commands', () => {
    const random = seeded(42);
    const events: CreditAccountEvent[] = [];
    for (let step = 0; step < 2000; step += 1) {
      const command = randomCommand(random);
      const state = foldSubject(creditAccountDecider, events, creditAccountDecider.subjectOf(command));
      try {
        events.push(...creditAccountDecider.decide(command, state));
      } catch (error) {
        expect(error).toBeInstanceOf(DomainError);
      }
      const { summary } = foldSubject(creditAccountDecider, events, '');
      expect(summary.granted - summary.captured - summary.reserved).toBeGreaterThanOrEqual(0);
      expect(summary.reserved).toBeGreaterThanOrEqual(0);
    }
    const ids = new Set(events.flatMap((event) => ('reservationId' in event.data ? [event.data.reservationId] : [])));
    const open = [...ids]
      .map((id) => foldSubject(creditAccountDecider, events, reservationSubject(id)).subject.reservation)
      .filter((reservation) => reservation?.status === 'open');
    expect(foldSubject(creditAccountDecider, events, '').summary.reserved).toBe(open.reduce((sum, r) => sum + r!.amount, 0));
  });
});

describe('the state a command sees', () => {
  it('holds the totals and the one reservation named, whatever the history', () => {
    expect(foldSubject(creditAccountDecider, history, reservationSubject('t3'))).toEqual({
      summary: { granted: 20, captured: 3, reserved: 2, caps: {} },
      subject: { reservation: { amount: 2, status: 'open', reservedAt: now } },
    });
    expect(foldSubject(creditAccountDecider, history, reservationSubject('t4')).subject).toEqual({
      reservation: { amount: 50, status: 'rejected' },
    });
  });

  it('serialises as plain data (the totals are a snapshot)', () => {
    const state = foldSubject(creditAccountDecider, history, reservationSubject('t1'));
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });
});

function randomCommand(random: () => number): CreditAccountCommand {
  const id = `t${Math.floor(random() * 30)}`;
  const amount = 1 + Math.floor(random() * 8);
  const pick = random();
  if (pick < 0.1) return { type: 'GrantCredits', accountId, grantId: `g${Math.floor(random() * 10)}`, amount, reason: 'r', now };
  if (pick < 0.5) return { type: 'ReserveCredits', accountId, reservationId: id, amount, now };
  if (pick < 0.75) return { type: 'CaptureCredits', accountId, reservationId: id, now };
  return { type: 'ReleaseCredits', accountId, reservationId: id, now };
}

/** A deterministic generator (mulberry32), so a failure replays. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
