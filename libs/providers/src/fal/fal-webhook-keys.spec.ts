import { generateKeyPairSync, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeServer, sendJson } from '@darkroom/fake-providers';
import { FAL_KEYS_REFETCH_MS, FAL_KEYS_TTL_MS, FalWebhookKeys } from './fal-webhook-keys';

const first = generateKeyPairSync('ed25519');
const second = generateKeyPairSync('ed25519');
const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
let published: object[] = [];
let down = false;
const jwks = new FakeServer().on('GET', /^\/jwks$/, (_req, res) => (down ? sendJson(res, 503, {}) : sendJson(res, 200, { keys: published })));
const message = Buffer.from('req\nuser\n1700000000\nabc');
const signedBy = (key: typeof first) => sign(null, message, key.privateKey);
const jwk = (key: typeof first) => key.publicKey.export({ format: 'jwk' });
const fetches = () => jwks.requests.length;

beforeAll(() => jwks.start());
afterAll(() => jwks.stop());

describe('FalWebhookKeys', () => {
  it('fetches once, then trusts the cache for a day', async () => {
    published = [rsa.publicKey.export({ format: 'jwk' }), jwk(first)];
    let now = 1_000_000;
    const keys = new FalWebhookKeys(`${jwks.url}/jwks`, 1000, () => now);
    const start = fetches();
    expect(await keys.verify(message, signedBy(first))).toBe(true);
    now += FAL_KEYS_TTL_MS - 1;
    expect(await keys.verify(message, signedBy(first))).toBe(true);
    expect(fetches()).toBe(start + 1);
    now += 1;
    expect(await keys.verify(message, signedBy(first))).toBe(true);
    expect(fetches()).toBe(start + 2);
  });

  it('refetches for an unknown signer at most once per interval', async () => {
    published = [jwk(first)];
    let now = 5_000_000;
    const keys = new FalWebhookKeys(`${jwks.url}/jwks`, 1000, () => now);
    expect(await keys.verify(message, signedBy(first))).toBe(true);
    published = [jwk(first), jwk(second)];
    const start = fetches();
    expect(await keys.verify(message, signedBy(second))).toBe(false);
    expect(fetches()).toBe(start);
    now += FAL_KEYS_REFETCH_MS;
    expect(await keys.verify(message, signedBy(second))).toBe(true);
    expect(fetches()).toBe(start + 1);
  });

  it('shares one fetch between concurrent checks', async () => {
    published = [jwk(first)];
    const keys = new FalWebhookKeys(`${jwks.url}/jwks`, 1000, () => 0);
    const start = fetches();
    expect(await Promise.all([keys.verify(message, signedBy(first)), keys.verify(message, signedBy(first))])).toEqual([true, true]);
    expect(fetches()).toBe(start + 1);
  });

  it('refuses when the JWKS is down, unreachable or has no Ed25519 key', async () => {
    published = [jwk(first)];
    down = true;
    try {
      expect(await new FalWebhookKeys(`${jwks.url}/jwks`, 1000, () => 0).verify(message, signedBy(first))).toBe(false);
    } finally {
      down = false;
    }
    expect(await new FalWebhookKeys('http://127.0.0.1:1/jwks', 500, () => 0).verify(message, signedBy(first))).toBe(false);
    published = [rsa.publicKey.export({ format: 'jwk' }), { kty: 'OKP', crv: 'Ed25519', x: '!!' }];
    expect(await new FalWebhookKeys(`${jwks.url}/jwks`, 1000, () => 0).verify(message, signedBy(first))).toBe(false);
  });
});
