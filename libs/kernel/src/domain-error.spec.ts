import { describe, expect, it } from '@jest/globals';
import { invalidRequest } from './domain-error';

describe('invalidRequest', () => {
  it('names each refused field and why in the message, keeping errors[] as given', () => {
    const errors = [
      { field: 'stream', message: 'stream must be false: streaming is not offered' },
      { field: 'output_format', message: 'must be png' },
    ];
    const error = invalidRequest(errors);
    expect(error).toMatchObject({ code: 'invalid_request', category: 'validation', detail: { errors } });
    expect(error.message).toBe('Invalid fields stream, output_format: stream must be false: streaming is not offered; output_format: must be png.');
  });

  it('names a field once however many rules it breaks', () => {
    const error = invalidRequest([
      { field: 'n', message: 'n must not be less than 1' },
      { field: 'n', message: 'n must be an integer number' },
    ]);
    expect(error.message).toBe('Invalid field n: n must not be less than 1; n must be an integer number.');
  });
});
