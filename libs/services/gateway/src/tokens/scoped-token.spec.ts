import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { looksLikeScopedToken, ScopedTokenSigner, type ScopedTokenClaims } from './scoped-token';

const now = new Date('2026-12-08T10:00:00Z');
const seconds = now.getTime() / 1000;
const claims: ScopedTokenClaims = {
  id: 'tok-1',
  accountId: 'acc-1',
  apiKeyId: 'key-1',
  endUserId: 'user-42',
  scope: { models: ['local'], maxPrice: 3, taskId: null },
  issuedAt: seconds,
  expiresAt: seconds + 600,
};
const signer = new ScopedTokenSigner(['current-token-key-0123', 'previous-token-key-0123']);

/** A token with this header and payload, signed with `key` as HS256 is. */
function forge(header: object, payload: object, key = 'current-token-key-0123'): string {
  const encoded = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${encoded}.${createHmac('sha256', key).update(encoded).digest('base64url')}`;
}

describe('scoped tokens', () => {
  it('round-trips its claims as a standard HS256 JWT until it expires', () => {
    const token = signer.sign(claims);
    expect(looksLikeScopedToken(token)).toBe(true);
    expect(looksLikeScopedToken('drk_abc_def')).toBe(false);
    const [header, payload] = token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as unknown);
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toMatchObject({ iss: 'darkroom', sub: 'acc-1', jti: 'tok-1', uid: 'user-42', exp: seconds + 600 });
    expect(signer.verify(token, now)).toEqual(claims);
    expect(signer.verify(token, new Date((seconds + 600) * 1000))).toBe('expired');
  });

  it('accepts a token of the previous key, and none once it is rotated out', () => {
    const old = new ScopedTokenSigner(['previous-token-key-0123']).sign(claims);
    expect(signer.verify(old, now)).toEqual(claims);
    expect(new ScopedTokenSigner(['another-token-key-0123']).verify(old, now)).toBe('invalid');
  });

  it('refuses a changed payload, another algorithm, alg none and a payload not of its shape', () => {
    const [header, , signature] = signer.sign(claims).split('.');
    const widened = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(signer.sign(claims).split('.')[1], 'base64url').toString()), sub: 'acc-2' })).toString('base64url');
    expect(signer.verify(`${header}.${widened}.${signature}`, now)).toBe('invalid');
    expect(signer.verify(forge({ alg: 'HS512', typ: 'JWT' }, { iss: 'darkroom' }), now)).toBe('invalid');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${widened}.`;
    expect(signer.verify(none, now)).toBe('invalid');
    expect(signer.verify(forge({ alg: 'HS256', typ: 'JWT' }, { iss: 'darkroom', sub: 'acc-1' }), now)).toBe('invalid');
    expect(signer.verify('not.a.token', now)).toBe('invalid');
    expect(signer.verify('', now)).toBe('invalid');
  });
});
