import { describe, expect, it } from '@jest/globals';
import { API_BODY_LIMITS, BATCH_BODY_LIMITS, bodyLimitsFor, PROVIDER_CALLBACK_BODY_LIMITS } from './body-limits';

describe('bodyLimitsFor', () => {
  it('gives provider callbacks the larger limit, matched as Express routes them', () => {
    for (const path of ['/webhooks/providers/replicate', '/webhooks/providers/fal/', '/WEBHOOKS/Providers/replicate']) {
      expect(bodyLimitsFor('POST', path)).toBe(PROVIDER_CALLBACK_BODY_LIMITS);
    }
    expect(PROVIDER_CALLBACK_BODY_LIMITS.maxBytes).toBe(10 * 1024 * 1024);
  });

  it('gives a batch (up to 1,000 requests) its own limit', () => {
    expect(bodyLimitsFor('POST', '/v1/batches')).toBe(BATCH_BODY_LIMITS);
    expect(bodyLimitsFor('POST', '/v1/batches/')).toBe(BATCH_BODY_LIMITS);
    expect(bodyLimitsFor('POST', '/v1/batches/x/cancel')).toBe(API_BODY_LIMITS);
    expect(BATCH_BODY_LIMITS.maxBytes).toBe(4 * 1024 * 1024);
  });

  it('gives every other route the API limit', () => {
    expect(bodyLimitsFor('POST', '/v1/generations')).toBe(API_BODY_LIMITS);
    expect(bodyLimitsFor('GET', '/webhooks/providers/replicate')).toBe(API_BODY_LIMITS);
    expect(bodyLimitsFor('POST', '/webhooks/providers/replicate/extra')).toBe(API_BODY_LIMITS);
    expect(bodyLimitsFor('POST', '/v1/webhooks/providers/replicate')).toBe(API_BODY_LIMITS);
    expect(API_BODY_LIMITS.maxBytes).toBe(100 * 1024);
  });
});
