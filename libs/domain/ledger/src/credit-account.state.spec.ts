import { describe, expect, it } from '@jest/globals';
import type { CreditAccountEvent } from '@darkroom/contracts';
import { DomainError, fold } from '@darkroom/kernel';
import type { CreditAccountCommand } from './credit-account.commands';
import { creditAccountDecider } from './credit-account.decider';
import { accountId, granted, reserved, rejected, captured, released, now } from './credit-account.fixtures';
import { availableCredits, type CreditAccountState } from './credit-account.state';


describe('available credits', () => {
  it('is granted minus captured minus open reservations', () => {
    const state = fold(creditAccountDecider, [
      granted('g1', 20),
      reserved('t1', 3),
      reserved('t2', 5),
      reserved('t3', 2),
      captured('t1', 3),
      released('t2', 5),
      rejected('t4', 50, 15),
    ]);
    expect(availableCredits(state)).toBe(15);
    expect(state).toEqual({
      granted: 20,
      captured: 3,
      reserved: 2,
      grants: { g1: 20 },
      reservations: {
        t1: { amount: 3, status: 'captured' },
        t2: { amount: 5, status: 'released' },
        t3: { amount: 2, status: 'open', reservedAt: now },
        t4: { amount: 50, status: 'rejected' },
      },
    });
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });

  it('never reports below zero, even for a stream that overspent', () => {
    const state = fold(creditAccountDecider, [
      granted('g1', 2),
      reserved('t1', 5),
    ]);
    expect(availableCredits(state)).toBe(0);
  });

  it('never lets available go below zero through any sequence of commands', () => {
    const random = seeded(42);
    let state: CreditAccountState = creditAccountDecider.initialState();
    for (let step = 0; step < 2000; step += 1) {
      const command = randomCommand(random);
      let events: readonly CreditAccountEvent[] = [];
      try {
        events = creditAccountDecider.decide(command, state);
      } catch (error) {
        expect(error).toBeInstanceOf(DomainError);
      }
      state = events.reduce(creditAccountDecider.evolve, state);
      expect(state.granted - state.captured - state.reserved).toBeGreaterThanOrEqual(0);
      expect(state.reserved).toBeGreaterThanOrEqual(0);
    }
    const open = Object.values(state.reservations).filter((r) => r.status === 'open');
    expect(state.reserved).toBe(open.reduce((sum, r) => sum + r.amount, 0));
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
