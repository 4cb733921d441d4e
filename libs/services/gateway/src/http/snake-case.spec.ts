import { describe, expect, it } from '@jest/globals';
import { snakeCaseKey, snakeCaseKeys } from './snake-case';

describe('snakeCaseKeys', () => {
  it('turns camelCase keys into snake_case at every depth, values untouched', () => {
    expect(snakeCaseKeys({ taskId: 't', outputs: [{ contentType: 'image/png', providerJobId: 'jobId' }], nested: { queuePosition: 2 } })).toEqual({
      task_id: 't',
      outputs: [{ content_type: 'image/png', provider_job_id: 'jobId' }],
      nested: { queue_position: 2 },
    });
    expect(snakeCaseKey('already_snake')).toBe('already_snake');
    expect(snakeCaseKey('sha256')).toBe('sha256');
  });

  it('keeps the caller’s own keys under the named fields', () => {
    expect(snakeCaseKeys({ request: { negativePrompt: 'x' }, metadata: { orderId: '1' } }, ['metadata'])).toEqual({
      request: { negative_prompt: 'x' },
      metadata: { orderId: '1' },
    });
  });
});
