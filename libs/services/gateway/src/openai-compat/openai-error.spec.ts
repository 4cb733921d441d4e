import { describe, expect, it } from '@jest/globals';
import { problem } from '../http/problem.filter';
import { toOpenAiError } from './openai-error';

describe('toOpenAiError', () => {
  it('carries the stable code and the detail as message', () => {
    expect(toOpenAiError(problem(402, 'insufficient_credits', 'This request costs 4 credits and 0 are available.'))).toEqual({
      message: 'This request costs 4 credits and 0 are available.',
      type: 'insufficient_quota',
      param: null,
      code: 'insufficient_credits',
    });
  });

  it('names the field of a validation problem as param', () => {
    const invalid = problem(400, 'invalid_request', 'The request has 1 invalid field(s).', {
      errors: [{ field: 'size', message: 'size must be "auto" or look like "1024x1024"' }],
    });
    expect(toOpenAiError(invalid)).toMatchObject({ type: 'invalid_request_error', param: 'size', code: 'invalid_request' });
    expect(toOpenAiError(problem(400, 'model_not_found', 'Unknown model "x".', { field: 'model' }))).toMatchObject({ param: 'model' });
  });

  it('types server-side failures and authentication apart', () => {
    expect(toOpenAiError(problem(504, 'generation_still_running', 'later')).type).toBe('server_error');
    expect(toOpenAiError(problem(401, 'unauthorized', 'key')).type).toBe('authentication_error');
  });
});
