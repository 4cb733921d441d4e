import { describe, expect, it } from '@jest/globals';
import type { HttpAnswer } from '../http/provider-http';
import { falHttpFailure, isTransientAnswer } from './fal-failure';

const policy = { detail: [{ loc: ['body', 'prompt'], msg: 'flagged', type: 'content_policy_violation' }] };

describe('falHttpFailure', () => {
  it('maps a content_policy_violation to content_moderated without retry', () => {
    expect(falHttpFailure(answer(422, policy))).toEqual({
      code: 'content_moderated',
      retryable: false,
      detail: { httpStatus: 422, body: policy },
    });
  });

  it('rejects other model errors (4xx) without retry', () => {
    const invalid = { detail: [{ loc: ['body', 'image_size'], msg: 'bad', type: 'value_error' }] };
    expect(falHttpFailure(answer(422, invalid))).toEqual({ code: 'provider_rejected', retryable: false, detail: { httpStatus: 422, body: invalid } });
    expect(falHttpFailure(answer(400, { detail: 'bad' }))).toMatchObject({ code: 'provider_rejected', retryable: false });
  });

  it('retries infrastructure errors and keeps their type', () => {
    const body = { detail: 'Runner disconnected', error_type: 'runner_disconnected' };
    expect(falHttpFailure(answer(503, body, { 'x-fal-error-type': 'runner_disconnected' }))).toEqual({
      code: 'provider_error',
      retryable: true,
      detail: { httpStatus: 503, body, errorType: 'runner_disconnected' },
    });
    expect(falHttpFailure(answer(504, { detail: 'x', error_type: 'startup_timeout' }))).toMatchObject({
      retryable: true,
      detail: { errorType: 'startup_timeout' },
    });
  });

  it('does not retry the caller’s own request timeout', () => {
    const headers = { 'x-fal-error-type': 'request_timeout', 'x-fal-request-timeout-type': 'user' };
    expect(falHttpFailure(answer(504, { detail: 'timed out', error_type: 'request_timeout' }, headers))).toMatchObject({
      code: 'timeout',
      retryable: false,
    });
  });

  it.each([401, 403, 404, 410])('fails %i without retry as provider_error', (status) => {
    expect(falHttpFailure(answer(status, { detail: 'x' }))).toMatchObject({ code: 'provider_error', retryable: false });
  });

  it('retries a 429 after Retry-After', () => {
    expect(falHttpFailure(answer(429, { detail: 'Too many requests' }, { 'retry-after': '2' }))).toMatchObject({
      code: 'provider_error',
      retryable: true,
      retryAfterSeconds: 2,
    });
  });
});

describe('isTransientAnswer', () => {
  it('is true for throttling and bare edge errors', () => {
    expect(isTransientAnswer(answer(429, { detail: 'Too many requests' }))).toBe(true);
    expect(isTransientAnswer({ status: 502, headers: new Headers(), text: '<html>502</html>', json: undefined })).toBe(true);
  });

  it('is false for fal’s own errors and for 4xx', () => {
    expect(isTransientAnswer(answer(503, { detail: 'x', error_type: 'runner_disconnected' }, { 'x-fal-error-type': 'runner_disconnected' }))).toBe(false);
    expect(isTransientAnswer(answer(500, { detail: 'model crashed' }))).toBe(false);
    expect(isTransientAnswer(answer(422, policy))).toBe(false);
    expect(isTransientAnswer(answer(404, {}))).toBe(false);
  });
});

function answer(status: number, json: unknown, headers: Record<string, string> = {}): HttpAnswer {
  return { status, headers: new Headers(headers), text: JSON.stringify(json), json };
}
