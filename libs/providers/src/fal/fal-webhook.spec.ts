import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeFal, FakeServer, sendJson } from '@darkroom/fake-providers';
import { ProviderPayloadError, type ProviderSubmitRequest } from '../image-provider';
import { FalProvider } from './fal.provider';
import { submitRequest } from '../provider-request.fixtures';

const fake = new FakeFal({ queueStepMs: 10, processingMs: 20 });
const receiver = new FakeServer().on('POST', /^\/hook$/, (_req, res) => sendJson(res, 200, {}));
let clockOffsetMs = 0;
const now = () => Date.now() + clockOffsetMs;
const settings = () => ({ baseUrl: fake.url, apiKey: 'fal_test', requestTimeoutMs: 2000, jwksUrl: fake.jwksUrl, webhookToleranceSeconds: 300 });
let provider: FalProvider;

beforeAll(async () => {
  await Promise.all([fake.start(), receiver.start()]);
  provider = new FalProvider(settings(), { now });
});
afterAll(() => Promise.all([fake.stop(), receiver.stop()]));

describe('FalProvider webhooks', () => {
  it('verifies and parses a genuine delivery', async () => {
    const id = await submit('a genuine fox');
    const [delivery] = await deliveries(id, 1);
    expect(await provider.verifyWebhook(delivery.headers, delivery.body)).toBe(true);
    const expectedId = createHash('sha256')
      .update(`${id}\n${delivery.headers['x-fal-webhook-timestamp']}\n${delivery.headers['x-fal-webhook-signature']}`)
      .digest('hex');
    expect(provider.parseWebhook(delivery.headers, delivery.body)).toEqual({
      providerJobId: id,
      deliveryId: expectedId,
      observation: { kind: 'succeeded', providerStatus: 'OK', images: [{ kind: 'url', url: `${fake.server.url}/files/${id}/0.png`, contentType: 'image/png' }] },
      confirmByPoll: false,
    });
    expect(delivery.headers['x-fal-webhook-user-id']).toBe('fake-fal-user');
    const [sent] = fake.server.received('POST', /^\/fal-ai\/nano-banana$/).filter((r) => r.body.includes('a genuine fox'));
    expect(sent.url).toBe(`/fal-ai/nano-banana?fal_webhook=${encodeURIComponent(`${receiver.url}/hook?task=t1`)}`);
  });

  it('parses moderation, model errors and unreadable payloads as failures', async () => {
    const observe = async (prompt: string) => {
      const [d] = await deliveries(await submit(prompt), 1);
      expect(await provider.verifyWebhook(d.headers, d.body)).toBe(true);
      return provider.parseWebhook(d.headers, d.body).observation;
    };
    expect(await observe('x [fake:moderated]')).toMatchObject({ kind: 'failed', providerStatus: 'ERROR', failure: { code: 'content_moderated', retryable: false } });
    expect(await observe('y [fake:fail]')).toMatchObject({
      kind: 'failed',
      failure: { code: 'provider_error', retryable: false, detail: { error: 'Invalid status code: 500', payload: { error_type: 'runner_server_error' } } },
    });
    expect(await observe('z [fake:payload-error]')).toMatchObject({
      kind: 'failed',
      providerStatus: 'OK',
      failure: { code: 'provider_error', retryable: false, detail: { payload_error: expect.stringContaining('not valid JSON') } },
    });
  });

  it('gives duplicates the same deliveryId and a redelivery a new one', async () => {
    const duplicated = await deliveries(await submit('dup [fake:duplicate-webhook:3]'), 3);
    expect(new Set(duplicated.map((d) => provider.parseWebhook(d.headers, d.body).deliveryId)).size).toBe(1);
    const [first, second] = await deliveries(await submit('again [fake:redeliver-webhook]'), 2);
    expect(provider.parseWebhook(first.headers, first.body).deliveryId).not.toBe(provider.parseWebhook(second.headers, second.body).deliveryId);
    expect(await provider.verifyWebhook(second.headers, second.body)).toBe(true);
  });

  it('refuses a forged signature, a tampered body, a stale timestamp and an unknown key', async () => {
    const [genuine] = await deliveries(await submit('to forge'), 1);
    const flipped = genuine.headers['x-fal-webhook-signature'].replace(/^./, (c) => (c === '0' ? '1' : '0'));
    expect(await provider.verifyWebhook({ ...genuine.headers, 'x-fal-webhook-signature': flipped }, genuine.body)).toBe(false);
    expect(await provider.verifyWebhook({ ...genuine.headers, 'x-fal-webhook-user-id': 'someone-else' }, genuine.body)).toBe(false);
    expect(await provider.verifyWebhook(genuine.headers, Buffer.from(genuine.body.toString().replace('"OK"', '"ERROR"')))).toBe(false);
    const [stale] = await deliveries(await submit('old [fake:stale-webhook]'), 1);
    expect(await provider.verifyWebhook(stale.headers, stale.body)).toBe(false);
    const [unknown] = await deliveries(await submit('other key [fake:bad-signature]'), 1);
    expect(await provider.verifyWebhook(unknown.headers, unknown.body)).toBe(false);
  });

  it('follows a key rotation, at most one JWKS refetch a minute', async () => {
    const jwksFetches = () => fake.server.received('GET', /^\/\.well-known\/jwks\.json$/).length;
    const [old] = await deliveries(await submit('before rotation'), 1);
    expect(await provider.verifyWebhook(old.headers, old.body)).toBe(true);
    clockOffsetMs += 61_000;
    fake.rotateKey();
    const [rotated] = await deliveries(await submit('after rotation'), 1);
    const before = jwksFetches();
    expect(await provider.verifyWebhook(rotated.headers, rotated.body)).toBe(true);
    expect(jwksFetches()).toBe(before + 1);
    expect(await provider.verifyWebhook(old.headers, old.body)).toBe(true);

    // Within the minute, a signature no key verifies costs no second fetch.
    const [unknown] = await deliveries(await submit('unknown again [fake:bad-signature]'), 1);
    expect(await provider.verifyWebhook(unknown.headers, unknown.body)).toBe(false);
    expect(jwksFetches()).toBe(before + 1);

    // Once the old key is withdrawn, a fresh verifier refuses what it signed.
    fake.dropOldKey();
    const fresh = new FalProvider(settings(), { now });
    expect(await fresh.verifyWebhook(old.headers, old.body)).toBe(false);
    expect(await fresh.verifyWebhook(rotated.headers, rotated.body)).toBe(true);
  });

  it('refuses when the JWKS cannot be fetched', async () => {
    const [genuine] = await deliveries(await submit('jwks down'), 1);
    fake.configure({ jwksDown: true });
    try {
      expect(await new FalProvider(settings()).verifyWebhook(genuine.headers, genuine.body)).toBe(false);
    } finally {
      fake.configure({ jwksDown: false });
    }
  });

  it('throws ProviderPayloadError on a malformed body', () => {
    const headers = {
      'x-fal-webhook-request-id': 'r',
      'x-fal-webhook-user-id': 'u',
      'x-fal-webhook-timestamp': '1700000000',
      'x-fal-webhook-signature': 'ab'.repeat(64),
    };
    expect(() => provider.parseWebhook(headers, Buffer.from('not json'))).toThrow(ProviderPayloadError);
    expect(() => provider.parseWebhook(headers, Buffer.from('{"status":"OK"}'))).toThrow(ProviderPayloadError);
    expect(() => provider.parseWebhook({}, Buffer.from('{"request_id":"r","status":"OK","payload":{}}'))).toThrow(ProviderPayloadError);
  });
});

async function submit(prompt: string): Promise<string> {
  const outcome = await provider.submit(request(prompt));
  if (outcome.kind !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(outcome)}`);
  return outcome.job.providerJobId;
}

const received = (id: string) => receiver.requests.filter((r) => r.headers['x-fal-webhook-request-id'] === id);

async function deliveries(id: string, count: number): Promise<{ headers: Record<string, string>; body: Buffer }[]> {
  const started = Date.now();
  while (received(id).length < count) {
    if (Date.now() - started > 3000) throw new Error(`only ${received(id).length} of ${count} deliveries for ${id}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return received(id).map((r) => ({ headers: r.headers as Record<string, string>, body: r.body }));
}

const request = (prompt: string): ProviderSubmitRequest =>
  submitRequest({ taskId: 't1', providerModel: 'fal-ai/nano-banana', prompt, width: 64, height: 64, seed: 1, webhookUrl: `${receiver.url}/hook?task=t1` });
