import { describe, expect, it } from '@jest/globals';
import { HttpProblem } from '../http-problem';
import { parseJsonBody } from './json-body';

const limits = { maxDepth: 4, maxKeys: 8 };
const parse = (body: string | Uint8Array) => parseJsonBody(typeof body === 'string' ? Buffer.from(body) : body, limits);

function refusal(body: string | Uint8Array): HttpProblem {
  try {
    parse(body);
  } catch (error) {
    if (error instanceof HttpProblem) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('parseJsonBody', () => {
  it('parses an object or an array', () => {
    expect(parse('{"prompt":"a lighthouse","n":2}')).toEqual({ prompt: 'a lighthouse', n: 2 });
    expect(parse(' [1, {"a": []}] ')).toEqual([1, { a: [] }]);
  });

  it('takes an empty body as an empty object', () => {
    expect(parse('')).toEqual({});
    expect(parse('  \n')).toEqual({});
  });

  it('drops a byte-order mark', () => {
    expect(parse(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]))).toEqual({ a: 1 });
  });

  it('refuses nesting past the limit as body_too_complex, naming the limits', () => {
    const error = refusal('[[[[[1]]]]]');
    expect(error).toMatchObject({ status: 400, code: 'body_too_complex', extensions: { max_depth: 4, max_keys: 8 } });
    expect(error.message).toBe('The request body is nested more than 4 deep.');
  });

  it('refuses 10,000-deep nesting before parsing it', () => {
    expect(refusal('{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)).code).toBe('body_too_complex');
  });

  it('refuses more properties than the limit', () => {
    const body = JSON.stringify(Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, i])));
    expect(refusal(body)).toMatchObject({ code: 'body_too_complex', message: 'The request body has more than 8 properties.' });
  });

  it('refuses bytes that are not UTF-8 as malformed_request', () => {
    expect(refusal(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]))).toMatchObject({ status: 400, code: 'malformed_request' });
  });

  it('refuses a bare value and broken JSON as malformed_request', () => {
    expect(refusal('"text"').code).toBe('malformed_request');
    expect(refusal('42').code).toBe('malformed_request');
    expect(refusal('{"a":').code).toBe('malformed_request');
  });

  it('keeps NUL and lone surrogates for the field check to name', () => {
    expect(parse('{"prompt":"a\\u0000b","note":"\\ud800"}')).toEqual({ prompt: 'a\u0000b', note: '\ud800' });
  });
});
