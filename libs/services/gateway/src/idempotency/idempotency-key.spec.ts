import { describe, expect, it } from '@jest/globals';
import { DomainError } from '@darkroom/kernel';
import { canonicalJson, parseIdempotencyKey, requestFingerprint } from './idempotency-key';

describe('parseIdempotencyKey', () => {
  it('is undefined without the header', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
  });

  it.each(['a', 'order-42', 'stainless-node-retry-3f2b7c1e-9a8d-4c3b-8e2f-1a2b3c4d5e6f', 'x'.repeat(255), 'k:1/2+3=4_5~'])(
    'accepts %s',
    (key) => {
      expect(parseIdempotencyKey(key)).toBe(key);
    },
  );

  it.each([['empty', ''], ['too long', 'x'.repeat(256)], ['with a space', 'a b'], ['non-ASCII', 'clé'], ['a control character', 'a\tb']])(
    'refuses a key that is %s',
    (_, key) => {
      expect(() => parseIdempotencyKey(key)).toThrow(DomainError);
      expect(() => parseIdempotencyKey(key)).toThrow(expect.objectContaining({ code: 'invalid_idempotency_key' }));
    },
  );

  it('refuses the header sent twice', () => {
    expect(() => parseIdempotencyKey(['a', 'b'])).toThrow(expect.objectContaining({ code: 'invalid_idempotency_key' }));
  });
});

describe('requestFingerprint', () => {
  it('ignores key order at every level', () => {
    const a = { model: 'local', prompt: 'p', metadata: { x: '1', y: '2' } };
    const b = { metadata: { y: '2', x: '1' }, prompt: 'p', model: 'local' };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(requestFingerprint('POST /v1/generations', a)).toBe(requestFingerprint('POST /v1/generations', b));
  });

  it('differs for another body, another array order or another route', () => {
    const base = requestFingerprint('POST /v1/generations', { prompt: 'p', input_images: ['a', 'b'] });
    expect(requestFingerprint('POST /v1/generations', { prompt: 'q', input_images: ['a', 'b'] })).not.toBe(base);
    expect(requestFingerprint('POST /v1/generations', { prompt: 'p', input_images: ['b', 'a'] })).not.toBe(base);
    expect(requestFingerprint('POST /v1/images/generations', { prompt: 'p', input_images: ['a', 'b'] })).not.toBe(base);
  });

  it('treats a missing body as an empty one', () => {
    expect(requestFingerprint('r', undefined)).toBe(requestFingerprint('r', {}));
  });
});
