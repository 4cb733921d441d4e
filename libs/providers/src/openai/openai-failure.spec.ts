import { describe, expect, it } from '@jest/globals';
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { openAiFailure } from './openai-failure';

describe('openAiFailure', () => {
  it.each([
    [400, 'provider_rejected', false],
    [422, 'provider_rejected', false],
    [401, 'provider_error', false],
    [403, 'provider_error', false],
    [404, 'provider_error', false],
    [408, 'provider_error', true],
    [409, 'provider_error', true],
    [429, 'provider_error', true],
    [500, 'provider_error', true],
    [502, 'provider_error', true],
  ])('maps HTTP %i to %s (retryable: %s)', (status, code, retryable) => {
    expect(openAiFailure(httpError(status, {}))).toMatchObject({ code, retryable });
  });

  it('maps moderation_blocked to content_moderated whatever the status', () => {
    expect(openAiFailure(httpError(400, { error: { message: 'no', type: 'image_generation_user_error', param: null, code: 'moderation_blocked' } }))).toEqual({
      code: 'content_moderated',
      retryable: false,
      detail: {
        httpStatus: 400,
        error: { message: 'no', type: 'image_generation_user_error', param: null, code: 'moderation_blocked' },
        requestId: 'req_1',
      },
    });
  });

  it('prefers retry-after-ms over retry-after', () => {
    const failure = openAiFailure(httpError(429, {}, { 'retry-after': '3', 'retry-after-ms': '1500' }));
    expect(failure.retryAfterSeconds).toBe(1.5);
    expect(openAiFailure(httpError(503, {}, { 'retry-after': '3' })).retryAfterSeconds).toBe(3);
    expect(openAiFailure(httpError(503, {})).retryAfterSeconds).toBeUndefined();
  });

  it('obeys an explicit x-should-retry, as the SDK does', () => {
    expect(openAiFailure(httpError(429, {}, { 'x-should-retry': 'false' }))).toMatchObject({ retryable: false, code: 'provider_error' });
    expect(openAiFailure(httpError(400, {}, { 'x-should-retry': 'true' }))).toMatchObject({ retryable: true, code: 'provider_error' });
  });

  it('maps connection trouble to retryable network failures', () => {
    expect(openAiFailure(new APIConnectionTimeoutError())).toEqual({ code: 'provider_error', retryable: true, detail: { network: 'timeout' } });
    const refused = new APIConnectionError({ cause: Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }) });
    expect(openAiFailure(refused)).toEqual({ code: 'provider_error', retryable: true, detail: { network: 'ECONNRESET' } });
  });

  it('maps an unreadable 200 to a non-retryable failure', () => {
    expect(openAiFailure(new SyntaxError('Unexpected end of JSON input'))).toEqual({
      code: 'provider_error',
      retryable: false,
      detail: { malformedResponse: 'Unexpected end of JSON input' },
    });
  });
});

function httpError(status: number, body: object, headers: Record<string, string> = {}) {
  return APIError.generate(status, body, undefined, new Headers({ 'x-request-id': 'req_1', ...headers }));
}
