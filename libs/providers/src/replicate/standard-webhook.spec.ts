import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { ReplicateProvider } from './replicate.provider';
import { verifyStandardWebhook } from './standard-webhook';

// The Svix test vector Replicate's SDK tests use (providers.md, "Webhooks").
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const timestamp = 1614265330;
const body = Buffer.from('{"test": 2432232314}');
const signature = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

const check = (overrides: { headers?: Record<string, string>; rawBody?: Buffer; nowMs?: number; secret?: string } = {}) =>
  verifyStandardWebhook({
    secret: overrides.secret ?? secret,
    headers: { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature, ...overrides.headers },
    rawBody: overrides.rawBody ?? body,
    nowMs: overrides.nowMs ?? timestamp * 1000,
    toleranceSeconds: 300,
  });

describe('verifyStandardWebhook', () => {
  it('accepts the Svix test vector at its own time', () => {
    expect(check()).toBe(true);
  });

  it('accepts when any entry of a rotated signature list matches', () => {
    expect(check({ headers: { 'webhook-signature': `v1,bm90IGl0 v2,xyz ${signature}` } })).toBe(true);
  });

  it('accepts up to the tolerance either way and refuses beyond it', () => {
    expect(check({ nowMs: (timestamp + 300) * 1000 })).toBe(true);
    expect(check({ nowMs: (timestamp - 300) * 1000 })).toBe(true);
    expect(check({ nowMs: (timestamp + 301) * 1000 })).toBe(false);
    expect(check({ nowMs: (timestamp - 301) * 1000 })).toBe(false);
  });

  it('refuses the vector at today’s time: it is years old', () => {
    expect(check({ nowMs: Date.now() })).toBe(false);
  });

  it('refuses a tampered body, another id or another secret', () => {
    expect(check({ rawBody: Buffer.from('{"test": 2432232315}') })).toBe(false);
    expect(check({ headers: { 'webhook-id': 'msg_other' } })).toBe(false);
    expect(check({ secret: 'whsec_' + Buffer.from('another key').toString('base64') })).toBe(false);
  });

  it('refuses missing or malformed headers and never throws on a bad secret', () => {
    expect(check({ headers: { 'webhook-signature': '' } })).toBe(false);
    expect(check({ headers: { 'webhook-timestamp': 'yesterday' } })).toBe(false);
    expect(check({ headers: { 'webhook-signature': 'v1,' } })).toBe(false);
    expect(check({ secret: 'whsec_' })).toBe(false);
    expect(check({ secret: 'whsec_%%%not-base64' })).toBe(false);
  });

  it('agrees with a plain HMAC-SHA256 over id.timestamp.body', () => {
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const mac = createHmac('sha256', key).update(`${id}.${timestamp}.${body.toString()}`).digest('base64');
    expect(`v1,${mac}`).toBe(signature);
  });
});

describe('ReplicateProvider.verifyWebhook', () => {
  const settings = { baseUrl: 'http://127.0.0.1:9', apiKey: 'r8', requestTimeoutMs: 100, webhookSecret: secret, webhookToleranceSeconds: 300 };
  const headers = { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature };

  it('accepts the Svix vector with the clock pinned to its time, and refuses it an hour later', async () => {
    expect(await new ReplicateProvider(settings, { now: () => timestamp * 1000 }).verifyWebhook(headers, body)).toBe(true);
    expect(await new ReplicateProvider(settings, { now: () => (timestamp + 3600) * 1000 }).verifyWebhook(headers, body)).toBe(false);
  });
});
