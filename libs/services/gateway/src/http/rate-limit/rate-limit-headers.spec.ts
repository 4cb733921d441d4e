import { describe, expect, it } from '@jest/globals';
import { rateLimitHeaders, secondsUntil } from './rate-limit-headers';

describe('rateLimitHeaders', () => {
  it('states the policy, the limit, what is left and the seconds to the reset', () => {
    expect(rateLimitHeaders({ limit: 600, windowSeconds: 60 }, { remaining: 599, msBeforeReset: 59_001 })).toEqual({
      'RateLimit-Policy': '600;w=60',
      'RateLimit-Limit': '600',
      'RateLimit-Remaining': '599',
      'RateLimit-Reset': '60',
    });
  });

  it('never shows a negative remainder', () => {
    expect(rateLimitHeaders({ limit: 5, windowSeconds: 60 }, { remaining: -3, msBeforeReset: 1 })['RateLimit-Remaining']).toBe('0');
  });
});

describe('secondsUntil', () => {
  it('rounds up, and never says 0 while the window is still open', () => {
    expect([0, 1, 999, 1000, 1001, 60_000].map(secondsUntil)).toEqual([1, 1, 1, 1, 2, 60]);
  });
});
