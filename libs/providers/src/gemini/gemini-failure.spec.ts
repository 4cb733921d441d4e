import { describe, expect, it } from '@jest/globals';
import type { HttpAnswer } from '../http/provider-http';
import { geminiHttpFailure, retryDelaySeconds } from './gemini-failure';

const retryInfo = (retryDelay: string) => ({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay });

describe('geminiHttpFailure', () => {
  it.each([
    [400, 'provider_rejected', false],
    [404, 'provider_rejected', false],
    [403, 'provider_error', false],
    [401, 'provider_error', false],
    [408, 'provider_error', true],
    [429, 'provider_error', true],
    [500, 'provider_error', true],
    [503, 'provider_error', true],
    [504, 'provider_error', true],
  ])('maps HTTP %i to %s (retryable: %s)', (status, code, retryable) => {
    expect(geminiHttpFailure(answer(status, { error: { code: status, message: 'm', status: 'S' } }))).toEqual({
      code,
      retryable,
      detail: { httpStatus: status, error: { code: status, message: 'm', status: 'S' } },
    });
  });

  it('takes the retry delay from RetryInfo, and Retry-After over it', () => {
    const body = { error: { code: 429, status: 'RESOURCE_EXHAUSTED', details: [{ '@type': 'type.googleapis.com/google.rpc.QuotaFailure' }, retryInfo('1.5s')] } };
    expect(geminiHttpFailure(answer(429, body)).retryAfterSeconds).toBe(1.5);
    expect(geminiHttpFailure(answer(429, body, { 'retry-after': '7' })).retryAfterSeconds).toBe(7);
  });

  it('treats a 400 for an invalid API key as our problem, not the request', () => {
    const body = { error: { code: 400, status: 'INVALID_ARGUMENT', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' }] } };
    expect(geminiHttpFailure(answer(400, body))).toMatchObject({ code: 'provider_error', retryable: false });
  });

  it('keeps a non-JSON body as text', () => {
    expect(geminiHttpFailure({ status: 502, headers: new Headers(), text: '<h1>Bad Gateway</h1>', json: undefined })).toEqual({
      code: 'provider_error',
      retryable: true,
      detail: { httpStatus: 502, error: '<h1>Bad Gateway</h1>' },
    });
  });
});

describe('retryDelaySeconds', () => {
  it.each([
    ['5s', 5],
    ['1.5s', 1.5],
    ['0s', 0],
    ['5m', undefined],
    ['', undefined],
  ])('reads %p as %p', (delay, seconds) => {
    expect(retryDelaySeconds({ details: [retryInfo(delay)] })).toBe(seconds);
  });

  it('is undefined without a RetryInfo detail', () => {
    expect(retryDelaySeconds({ details: [{ '@type': 'type.googleapis.com/google.rpc.Help' }] })).toBeUndefined();
    expect(retryDelaySeconds(undefined)).toBeUndefined();
  });
});

function answer(status: number, json: unknown, headers: Record<string, string> = {}): HttpAnswer {
  return { status, headers: new Headers(headers), text: JSON.stringify(json), json };
}
