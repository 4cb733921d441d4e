import { DEFAULT_MAX_ATTEMPTS, resolveConsumerSpec, retryDelayMs } from '@darkroom/messaging';
import { STORAGE_CONSUMER } from './storage.options';

describe('storage consumer retry budget', () => {
  const spec = resolveConsumerSpec({ ...STORAGE_CONSUMER, name: 'storage', bindings: ['provider-job.ProviderJobSucceeded'] });
  /** Milliseconds from the first failed delivery to the last delivery. */
  const budgetMs = Array.from({ length: spec.maxAttempts - 1 }, (_, i) => retryDelayMs(spec.retryDelaysMs, i + 1)).reduce(
    (sum, delay) => sum + delay,
    0,
  );

  it('keeps trying a bucket outage for more than five minutes (the shortest model deadline)', () => {
    expect(budgetMs).toBeGreaterThan(5 * 60_000);
  });

  it('retries the first failure within seconds, so a blip costs little', () => {
    expect(retryDelayMs(spec.retryDelaysMs, 1)).toBeLessThanOrEqual(1_000);
  });

  it('keeps the default delivery limit, which an existing quorum queue was declared with', () => {
    expect(spec.maxAttempts).toBe(DEFAULT_MAX_ATTEMPTS);
  });
});
