import { resolveConsumerSpec, retryDelayMs } from './consumer-defaults';

describe('resolveConsumerSpec', () => {
  it('fills in prefetch, attempts and delays', () => {
    expect(resolveConsumerSpec({ name: 'ledger', bindings: ['a.B', 'a.B'] })).toEqual({
      name: 'ledger',
      bindings: ['a.B'],
      prefetch: 16,
      maxAttempts: 5,
      retryDelaysMs: [1_000, 5_000, 30_000],
    });
  });

  it('refuses names that would clash with the retry and dead-letter queues', () => {
    expect(() => resolveConsumerSpec({ name: 'ledger.dlq', bindings: ['a.B'] })).toThrow(/must match/);
  });

  it('refuses a consumer without bindings or with a zero prefetch', () => {
    expect(() => resolveConsumerSpec({ name: 'ledger', bindings: [] })).toThrow(/no bindings/);
    expect(() => resolveConsumerSpec({ name: 'ledger', bindings: ['a.B'], prefetch: 0 })).toThrow(/prefetch/);
  });
});

describe('retryDelayMs', () => {
  it('takes the delay of the failed attempt and repeats the last one', () => {
    const delays = [10, 20, 30];
    expect([1, 2, 3, 4, 9].map((attempt) => retryDelayMs(delays, attempt))).toEqual([10, 20, 30, 30, 30]);
  });
});
