import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { falDeliveryId, falSignedHeaders, falSignedMessage } from './fal-signature';

const body = Buffer.from('{"request_id":"req-1","status":"OK"}');
const { privateKey, publicKey } = generateKeyPairSync('ed25519');

describe('fal webhook signature parts', () => {
  it('signs request id, user id, timestamp and the body hash, one per line', () => {
    const signed = parts({});
    const expected = `req-1\nuser-1\n1700000000\n${createHash('sha256').update(body).digest('hex')}`;
    expect(falSignedMessage(signed!, body).toString()).toBe(expected);
  });

  it('round-trips an Ed25519 signature made over that message', () => {
    const unsigned = parts({})!;
    const signature = sign(null, falSignedMessage(unsigned, body), privateKey).toString('hex');
    const signed = parts({ 'x-fal-webhook-signature': signature })!;
    expect(verify(null, falSignedMessage(signed, body), publicKey, signed.signature)).toBe(true);
  });

  it('refuses missing or malformed headers', () => {
    expect(parts({ 'x-fal-webhook-user-id': undefined })).toBeUndefined();
    expect(parts({ 'x-fal-webhook-timestamp': 'soon' })).toBeUndefined();
    expect(parts({ 'x-fal-webhook-signature': 'abc' })).toBeUndefined();
    expect(parts({ 'x-fal-webhook-signature': 'zz'.repeat(64) })).toBeUndefined();
  });

  it('gives the same delivery id to exact replays and a new one to a new timestamp', () => {
    expect(falDeliveryId(parts({})!)).toBe(falDeliveryId(parts({})!));
    expect(falDeliveryId(parts({})!)).toMatch(/^[0-9a-f]{64}$/);
    expect(falDeliveryId(parts({ 'x-fal-webhook-timestamp': '1700000001' })!)).not.toBe(falDeliveryId(parts({})!));
  });
});

function parts(overrides: Record<string, string | undefined>) {
  return falSignedHeaders({
    'x-fal-webhook-request-id': 'req-1',
    'x-fal-webhook-user-id': 'user-1',
    'x-fal-webhook-timestamp': '1700000000',
    'x-fal-webhook-signature': 'ab'.repeat(64),
    ...overrides,
  });
}
