import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeReplicate, FakeServer, sendJson, type RecordedRequest } from '@darkroom/fake-providers';
import { ProviderPayloadError, type ProviderSubmitRequest, type SubmitOutcome } from '../image-provider';
import { ReplicateProvider } from './replicate.provider';
import { submitRequest } from '../provider-request.fixtures';

const fake = new FakeReplicate({ startingMs: 10, processingMs: 20 });
const receiver = new FakeServer().on('POST', /^\/hook$/, (_req, res) => sendJson(res, 200, {}));
let provider: ReplicateProvider;

beforeAll(async () => {
  await Promise.all([fake.start(), receiver.start()]);
  const secret = await (await fetch(`${fake.url}/webhooks/default/secret`, { headers: { authorization: 'Bearer r8_test' } })).json();
  provider = new ReplicateProvider({
    baseUrl: fake.url,
    apiKey: 'r8_test',
    requestTimeoutMs: 2000,
    webhookSecret: (secret as { key: string }).key,
    webhookToleranceSeconds: 300,
  });
});
afterAll(() => Promise.all([fake.stop(), receiver.stop()]));

describe('ReplicateProvider webhooks', () => {
  it('serves the signing secret the fake signs with', () => {
    expect(fake.webhookSecret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
  });

  it('verifies and parses a genuine completed delivery; only `completed` is asked for', async () => {
    const id = await submit('a genuine fox');
    const [delivery] = await deliveries(id, 1);
    expect(await provider.verifyWebhook(delivery.headers, delivery.body)).toBe(true);
    expect(provider.parseWebhook(delivery.headers, delivery.body)).toEqual({
      providerJobId: id,
      deliveryId: delivery.headers['webhook-id'],
      observation: { kind: 'succeeded', providerStatus: 'succeeded', images: [{ kind: 'url', url: `${fake.server.url}/files/${id}/0.png` }] },
      confirmByPoll: false,
    });
    const [sent] = fake.server.received('POST', /predictions$/).filter((r) => r.body.includes('a genuine fox'));
    expect(JSON.parse(sent.body.toString())).toMatchObject({ webhook: `${receiver.url}/hook`, webhook_events_filter: ['completed'] });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received(id)).toHaveLength(1);
  });

  it('parses a moderated failure from the webhook body', async () => {
    const id = await submit('bad [fake:moderated]');
    const [delivery] = await deliveries(id, 1);
    expect(await provider.verifyWebhook(delivery.headers, delivery.body)).toBe(true);
    expect(provider.parseWebhook(delivery.headers, delivery.body).observation).toMatchObject({
      kind: 'failed',
      failure: { code: 'content_moderated', retryable: false },
    });
  });

  it('gives duplicates the same deliveryId and a redelivery a new one', async () => {
    const duplicated = await deliveries(await submit('dup [fake:duplicate-webhook:3]'), 3);
    const ids = duplicated.map((d) => provider.parseWebhook(d.headers, d.body).deliveryId);
    expect(new Set(ids).size).toBe(1);

    const redelivered = await deliveries(await submit('again [fake:redeliver-webhook]'), 2);
    const [first, second] = redelivered.map((d) => provider.parseWebhook(d.headers, d.body));
    expect(first.deliveryId).not.toBe(second.deliveryId);
    expect(second.providerJobId).toBe(first.providerJobId);
    for (const d of redelivered) expect(await provider.verifyWebhook(d.headers, d.body)).toBe(true);
  });

  it('refuses a forged signature, a tampered body, a stale timestamp and an unknown key', async () => {
    const [genuine] = await deliveries(await submit('to forge'), 1);
    const forged = { ...genuine.headers, 'webhook-signature': 'v1,' + Buffer.alloc(32, 7).toString('base64') };
    expect(await provider.verifyWebhook(forged, genuine.body)).toBe(false);
    const tampered = Buffer.from(genuine.body.toString().replace('"succeeded"', '"failed"'));
    expect(await provider.verifyWebhook(genuine.headers, tampered)).toBe(false);

    const [stale] = await deliveries(await submit('old [fake:stale-webhook]'), 1);
    expect(Number(stale.headers['webhook-timestamp'])).toBeLessThan(Date.now() / 1000 - 3000);
    expect(await provider.verifyWebhook(stale.headers, stale.body)).toBe(false);

    const [unknownKey] = await deliveries(await submit('other key [fake:bad-signature]'), 1);
    expect(await provider.verifyWebhook(unknownKey.headers, unknownKey.body)).toBe(false);
  });

  it('refuses everything when no secret is configured', async () => {
    const [genuine] = await deliveries(await submit('no secret here'), 1);
    const unconfigured = new ReplicateProvider({ baseUrl: fake.url, apiKey: 'r8_test', requestTimeoutMs: 2000, webhookToleranceSeconds: 300 });
    expect(await unconfigured.verifyWebhook(genuine.headers, genuine.body)).toBe(false);
  });

  it('sends nothing for a lost webhook, while polling still finds the result', async () => {
    const id = await submit('lost [fake:lose-webhook]');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(fake.prediction(id)).toMatchObject({ status: 'succeeded' });
    expect(received(id)).toHaveLength(0);
  });

  it('retries a delivery the receiver refused, under the same webhook-id', async () => {
    let calls = 0;
    const grumpy = await new FakeServer().on('POST', /./, (_req, res) => sendJson(res, (calls += 1) === 1 ? 500 : 204, {})).start();
    try {
      fake.configure({ webhookRetryDelayMs: 10 });
      await provider.submit(request('grumpy receiver', `${grumpy.url}/hook`));
      const started = Date.now();
      // Wait for the fake's own record of both attempts (it logs an attempt once its answer arrived).
      const attempts = () => fake.webhooks.filter((w) => w.url.startsWith(grumpy.url));
      while (attempts().length < 2 && Date.now() - started < 10_000) await new Promise((resolve) => setTimeout(resolve, 10));
      const [first, second] = grumpy.requests;
      expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
      expect(attempts().map((w) => [w.attempt, w.status])).toEqual([[1, 500], [2, 204]]);
    } finally {
      await grumpy.stop();
    }
  });

  it('throws ProviderPayloadError on a body that is not a prediction', () => {
    expect(() => provider.parseWebhook({ 'webhook-id': 'msg_1' }, Buffer.from('{"id": 1}'))).toThrow(ProviderPayloadError);
    expect(() => provider.parseWebhook({ 'webhook-id': 'msg_1' }, Buffer.from('not json'))).toThrow(ProviderPayloadError);
    expect(() => provider.parseWebhook({}, Buffer.from('{"id":"p","status":"starting"}'))).toThrow(ProviderPayloadError);
  });
});

async function submit(prompt: string): Promise<string> {
  const outcome: SubmitOutcome = await provider.submit(request(prompt, `${receiver.url}/hook`));
  if (outcome.kind !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(outcome)}`);
  return outcome.job.providerJobId;
}

const received = (id: string) => receiver.requests.filter((r) => r.body.toString().includes(`"id":"${id}"`));

/** Waits for `count` deliveries about prediction `id`; headers as Node gives them. */
async function deliveries(id: string, count: number): Promise<{ headers: Record<string, string>; body: Buffer }[]> {
  const started = Date.now();
  while (received(id).length < count) {
    if (Date.now() - started > 3000) throw new Error(`only ${received(id).length} of ${count} deliveries for ${id}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return received(id).map((r: RecordedRequest) => ({ headers: r.headers as Record<string, string>, body: r.body }));
}

const request = (prompt: string, webhookUrl: string): ProviderSubmitRequest =>
  submitRequest({ providerModel: 'google/nano-banana', prompt, width: 64, height: 64, seed: 1, webhookUrl });
