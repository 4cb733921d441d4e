import { describe, expect, it } from '@jest/globals';
import { retryBackoffSeconds } from './retry-backoff';

describe('retry back-off', () => {
  it('doubles from one second and stops at a minute', () => {
    expect([1, 2, 3, 4, 7, 8, 20].map(retryBackoffSeconds)).toEqual([1, 2, 4, 8, 60, 60, 60]);
  });
});
