import { describeEvent } from './timeline';

describe('describeEvent', () => {
  it('tells provider attempts, observations, storage and credits apart', () => {
    expect(describeEvent({ type: 'ProviderJobSubmitted', data: { provider: 'replicate', attempt: 2, provider_job_id: 'p-1' } })).toEqual({
      title: 'Submitted to replicate (attempt 2)',
      detail: 'job p-1',
    });
    expect(describeEvent({ type: 'ProviderJobObserved', data: { source: 'webhook', provider_status: 'succeeded', attempt: 1 } }).title).toBe(
      'Webhook: succeeded (attempt 1)',
    );
    expect(describeEvent({ type: 'ProviderJobObserved', data: { source: 'poll', provider_status: 'processing', attempt: 1, queue_position: 3 } })).toEqual({
      title: 'Poll: processing (attempt 1)',
      detail: 'queue position 3',
    });
    expect(describeEvent({ type: 'AssetStored', data: { width: 64, height: 32, bytes: 900, sha256: 'abcdef0123456789' } }).detail).toBe(
      '64×32 · 900 bytes · sha256 abcdef012345…',
    );
    expect(describeEvent({ type: 'CreditsCaptured', data: { amount: 1 } })).toEqual({ title: 'Credits charged', detail: '1 credit' });
    expect(describeEvent({ type: 'CreditsReleased', data: { amount: 3 } })).toEqual({ title: 'Credits returned', detail: '3 credits' });
  });

  it('says when a circuit breaker sent the task to a fallback', () => {
    const circuitOpen = { provider: 'gemini', model: 'nano-banana', openUntil: '2025-11-24T10:00:30.000Z' };
    expect(describeEvent({ type: 'GenerationQueued', data: { route: { attempt: 4, model: 'nano-banana-fal', provider: 'fal', circuitOpen } } })).toEqual({
      title: 'Queued on a fallback',
      detail: "nano-banana-fal on fal: the model's circuit breaker is open",
    });
    expect(describeEvent({ type: 'GenerationRetryScheduled', data: { attempt: 4, model: 'nano-banana-fal', provider: 'fal', circuitOpen } }).detail).toBe(
      'nano-banana-fal on fal · circuit breaker open',
    );
    expect(describeEvent({ type: 'ProviderCircuitOpened', data: { ...circuitOpen, failures: 5 } })).toEqual({
      title: 'Circuit breaker opened',
      detail: 'nano-banana on gemini · 5 failures · until 2025-11-24T10:00:30.000Z',
    });
    expect(describeEvent({ type: 'ProviderCircuitClosed', data: circuitOpen }).title).toBe('Circuit breaker closed');
  });

  it('says why a task failed in plain words', () => {
    expect(describeEvent({ type: 'GenerationFailed', data: { code: 'timeout', message: 'deadline passed' } }).detail).toBe(
      'The image provider did not finish in time. Your credits were returned.',
    );
  });

  it('shows an event it does not know by its type', () => {
    expect(describeEvent({ type: 'SomethingNew', data: null })).toEqual({ title: 'SomethingNew', detail: '' });
  });
});
