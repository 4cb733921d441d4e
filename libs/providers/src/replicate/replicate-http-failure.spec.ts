import { describe, expect, it } from '@jest/globals';
import type { HttpAnswer } from '../http/provider-http';
import { pollAnswerObservation, replicateHttpFailure } from './replicate-http-failure';

describe('replicateHttpFailure', () => {
  it('rejects invalid input (422) without retry', () => {
    const body = { status: 422, detail: '- input.prompt: required' };
    expect(replicateHttpFailure(answer(422, body))).toEqual({
      code: 'provider_rejected',
      retryable: false,
      detail: { httpStatus: 422, body },
    });
  });

  it.each([401, 403])('treats %i as our configuration: provider_error, no retry', (status) => {
    expect(replicateHttpFailure(answer(status, { detail: 'Unauthenticated' }))).toMatchObject({ code: 'provider_error', retryable: false });
  });

  it('retries a throttled create after Retry-After', () => {
    const throttled = answer(429, { detail: 'Request was throttled. Your rate limit resets in ~30s.' }, { 'retry-after': '7' });
    expect(replicateHttpFailure(throttled)).toEqual({
      code: 'provider_error',
      retryable: true,
      retryAfterSeconds: 7,
      detail: { httpStatus: 429, body: { detail: 'Request was throttled. Your rate limit resets in ~30s.' } },
    });
  });

  it.each([500, 502, 503, 504])('retries %i', (status) => {
    expect(replicateHttpFailure(answer(status, { detail: 'Internal server error' }))).toMatchObject({ code: 'provider_error', retryable: true });
  });
});

describe('pollAnswerObservation', () => {
  it.each([429, 500, 502, 503, 504])('keeps the job pending on %i: the prediction may be fine', (status) => {
    expect(pollAnswerObservation(answer(status, {}))).toEqual({ kind: 'pending', providerStatus: `poll_error:${status}` });
  });

  it.each([404, 410])('fails an unknown prediction (%i) without retry', (status) => {
    expect(pollAnswerObservation(answer(status, { detail: 'Not found.' }))).toEqual({
      kind: 'failed',
      providerStatus: `http:${status}`,
      failure: { code: 'provider_error', retryable: false, detail: { httpStatus: status, body: { detail: 'Not found.' } } },
    });
  });

  it('fails on a rejected token', () => {
    expect(pollAnswerObservation(answer(401, {}))).toMatchObject({ kind: 'failed', failure: { code: 'provider_error', retryable: false } });
  });
});

function answer(status: number, json: unknown, headers: Record<string, string> = {}): HttpAnswer {
  return { status, headers: new Headers(headers), text: JSON.stringify(json), json };
}
