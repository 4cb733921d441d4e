import { describe, expect, it } from '@jest/globals';
import { failingTooLong, MAX_RETRY_AFTER_MS, nextRetryAt, succeeded } from './delivery-schedule';

const now = new Date('2026-01-01T00:00:00.000Z');
const schedule = [5_000, 300_000, 1_800_000];
const after = (ms: number) => new Date(now.getTime() + ms);

describe('succeeded', () => {
  it('counts only 2xx answers', () => {
    expect([200, 204, 299].map((statusCode) => succeeded({ statusCode }))).toEqual([true, true, true]);
    expect([199, 301, 400, 410, 503].map((statusCode) => succeeded({ statusCode }))).toEqual([false, false, false, false, false]);
    expect(succeeded({})).toBe(false);
  });
});

describe('nextRetryAt', () => {
  it('follows the schedule by attempts made in the round', () => {
    expect(nextRetryAt({ statusCode: 500 }, 1, schedule, now)).toEqual(after(5_000));
    expect(nextRetryAt({}, 2, schedule, now)).toEqual(after(300_000));
    expect(nextRetryAt({ statusCode: 404 }, 3, schedule, now)).toEqual(after(1_800_000));
  });

  it('gives up once the schedule is used up', () => {
    expect(nextRetryAt({ statusCode: 500 }, 4, schedule, now)).toBeUndefined();
  });

  it('waits longer when a 429 or 503 asks for it, up to a day', () => {
    expect(nextRetryAt({ statusCode: 429, retryAfterMs: 60_000 }, 1, schedule, now)).toEqual(after(60_000));
    expect(nextRetryAt({ statusCode: 503, retryAfterMs: 7 * MAX_RETRY_AFTER_MS }, 1, schedule, now)).toEqual(after(MAX_RETRY_AFTER_MS));
  });

  it('never retries sooner than the schedule, and ignores Retry-After on other statuses', () => {
    expect(nextRetryAt({ statusCode: 503, retryAfterMs: 1 }, 2, schedule, now)).toEqual(after(300_000));
    expect(nextRetryAt({ statusCode: 500, retryAfterMs: 60_000 }, 1, schedule, now)).toEqual(after(5_000));
  });
});

describe('failingTooLong', () => {
  it('is true once the failures have lasted the whole period', () => {
    expect(failingTooLong(now, after(999), 1_000)).toBe(false);
    expect(failingTooLong(now, after(1_000), 1_000)).toBe(true);
  });
});
