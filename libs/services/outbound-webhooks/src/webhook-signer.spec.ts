import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { newSigningSecret, signedHeaders } from './webhook-signer';

describe('signedHeaders', () => {
  const secret = newSigningSecret();
  const at = new Date('2026-01-01T00:00:00.000Z');
  const body = JSON.stringify({ type: 'generation.completed', data: { id: 'x' } });

  it('signs id.timestamp.body with HMAC-SHA256 of the decoded secret', () => {
    const headers = signedHeaders(secret, 'msg_1', at, body);
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const expected = createHmac('sha256', key).update(`msg_1.${headers['webhook-timestamp']}.${body}`).digest('base64');
    expect(headers).toMatchObject({ 'webhook-id': 'msg_1', 'webhook-timestamp': '1767225600', 'webhook-signature': `v1,${expected}` });
  });

  it('verifies with the reference implementation', () => {
    const now = new Date();
    const headers = signedHeaders(secret, 'msg_2', now, body);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('makes 32-byte secrets that differ', () => {
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(newSigningSecret()).not.toBe(secret);
  });
});
