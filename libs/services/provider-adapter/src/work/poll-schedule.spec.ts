import { describe, expect, it } from '@jest/globals';
import { PollBudget, pollDelayMs } from './poll-schedule';

describe('poll schedule', () => {
  it('starts at the model interval and grows by half up to 30 s', () => {
    expect([0, 1, 2].map((polls) => pollDelayMs({ intervalSeconds: 1, polls, webhooks: false }))).toEqual([1000, 1500, 2250]);
    expect(pollDelayMs({ intervalSeconds: 1, polls: 25, webhooks: false })).toBe(30_000);
  });

  it('polls ten times slower, up to 2 min, when a webhook is expected', () => {
    expect(pollDelayMs({ intervalSeconds: 1, polls: 0, webhooks: true })).toBe(10_000);
    expect(pollDelayMs({ intervalSeconds: 1, polls: 25, webhooks: true })).toBe(120_000);
  });

  it('defaults to a 2 s interval', () => {
    expect(pollDelayMs({ polls: 0, webhooks: false })).toBe(2000);
  });
});

describe('poll budget', () => {
  it('accrues polls per second and banks at most one second', () => {
    const budget = new PollBudget(10, 0);
    expect(budget.available(0)).toBe(10);
    budget.spend(10);
    expect(budget.available(500)).toBe(5);
    budget.spend(5);
    expect(budget.available(60_000)).toBe(10);
  });
});
