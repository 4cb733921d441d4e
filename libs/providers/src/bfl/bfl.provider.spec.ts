import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeBfl, FakeServer, sendJson, type RecordedRequest } from '@darkroom/fake-providers';
import { ProviderPayloadError, type JobObservation, type ProviderJobRef, type ProviderSubmitRequest, type SubmitOutcome } from '../image-provider';
import { BflProvider } from './bfl.provider';
import { submitRequest } from '../provider-request.fixtures';

const fake = new FakeBfl().configure({ apiKey: 'bfl-key', pendingMs: 150, latencyMs: 2 });
const receiver = new FakeServer().on('POST', /^\/hook$/, (_, res) => sendJson(res, 200, { ok: true }));
let provider: BflProvider;

beforeAll(async () => {
  await Promise.all([fake.start(), receiver.start()]);
  provider = new BflProvider({ baseUrl: fake.url, apiKey: 'bfl-key', requestTimeoutMs: 2000, webhookSecret: 'bfl-secret' });
});
afterAll(() => Promise.all([fake.stop(), receiver.stop()]));

describe('BflProvider.submit', () => {
  it('submits to /v1/{model} and keeps the polling_url as the job handle', async () => {
    const job = accepted(await provider.submit(request({ prompt: 'a glacier', width: 250, height: 130 })));

    expect(job).toEqual({
      providerJobId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      providerModel: 'flux-2-pro',
      handle: { pollingUrl: `${fake.pollingBaseUrl}/v1/get_result?id=${job.providerJobId}` },
    });
    const [sent] = fake.server.received('POST', /^\/v1\/flux-2-pro$/).filter((r) => r.body.includes('a glacier'));
    expect(sent.headers['x-key']).toBe('bfl-key');
    expect(JSON.parse(sent.body.toString())).toEqual({ prompt: 'a glacier', width: 240, height: 128, seed: 42, output_format: 'png', safety_tolerance: 2 });
  });

  it('sends input then reference images as input_image, input_image_2 (URL when there is one)', async () => {
    const reference = Buffer.from('reference-bytes');
    await provider.submit(
      request({
        prompt: 'restyle',
        inputImages: [{ bytes: Buffer.from('target'), contentType: 'image/png', url: 'https://bucket.example/target.png?sig=1' }],
        referenceImages: [{ bytes: reference, contentType: 'image/png' }],
      }),
    );
    const body = JSON.parse(sentBody('restyle'));
    expect([body.input_image, body.input_image_2, body.input_image_3]).toEqual(['https://bucket.example/target.png?sig=1', reference.toString('base64'), undefined]);
  });

  it('asks for a signed webhook only when it has a secret to check it with', async () => {
    await provider.submit(request({ prompt: 'hooked', webhookUrl: 'https://darkroom.example/webhooks/providers/bfl?task=t' }));
    expect(JSON.parse(sentBody('hooked'))).toMatchObject({ webhook_url: 'https://darkroom.example/webhooks/providers/bfl?task=t', webhook_secret: 'bfl-secret' });

    const secretless = new BflProvider({ baseUrl: fake.url, apiKey: 'bfl-key', requestTimeoutMs: 2000 });
    await secretless.submit(request({ prompt: 'unhooked', webhookUrl: 'https://darkroom.example/webhooks/providers/bfl' }));
    expect(Object.keys(JSON.parse(sentBody('unhooked')))).not.toContain('webhook_url');
  });

  it('refuses more than eight images without calling BFL', async () => {
    const image = { bytes: Buffer.from('x'), contentType: 'image/png' };
    const outcome = await provider.submit(request({ prompt: 'crowded', inputImages: Array(5).fill(image), referenceImages: Array(4).fill(image) }));
    expect(outcome).toMatchObject(failed({ code: 'invalid_input', retryable: false }));
    expect(fake.server.requests.filter((r) => r.body.includes('crowded'))).toHaveLength(0);
  });

  it.each([
    ['[fake:429x1]', { code: 'provider_error', retryable: true, retryAfterSeconds: 1 }],
    ['[fake:500x1]', { code: 'provider_error', retryable: true }],
    ['[fake:402]', { code: 'provider_error', retryable: false }],
    ['[fake:422]', { code: 'provider_rejected', retryable: false }],
  ])('maps a submit answered %s', async (directive, failure) => {
    const outcome = await provider.submit(request({ prompt: `x ${directive}` }));
    expect(outcome).toEqual(failed({ ...failure, detail: { httpStatus: expect.any(Number), body: expect.anything() } }));
  });

  it('maps a wrong key to a non-retryable provider_error', async () => {
    const wrongKey = new BflProvider({ baseUrl: fake.url, apiKey: 'nope', requestTimeoutMs: 2000 });
    expect(await wrongKey.submit(request())).toMatchObject(failed({ code: 'provider_error', retryable: false, detail: { httpStatus: 403 } }));
  });

  it('reads retry_after from the body when the 429 has no Retry-After, and is refused past the active-task limit', async () => {
    const limited = await new FakeBfl().configure({ activeLimit: 2, pendingMs: 300, retryAfterHeader: false, retryAfterSeconds: 3 }).start();
    try {
      const bfl = new BflProvider({ baseUrl: limited.url, apiKey: 'k', requestTimeoutMs: 2000 });
      const outcomes = [await bfl.submit(request()), await bfl.submit(request()), await bfl.submit(request())];
      expect(outcomes.map((o) => o.kind)).toEqual(['accepted', 'accepted', 'failed']);
      expect(outcomes[2]).toEqual(
        failed({ code: 'provider_error', retryable: true, retryAfterSeconds: 3, detail: { httpStatus: 429, body: expect.objectContaining({ error: 'rate_limit_exceeded', retry_after: 3 }) } }),
      );
      expect(limited.meter.peak).toBe(2);
    } finally {
      await limited.stop();
    }
  });
});

describe('BflProvider.poll', () => {
  it('polls the polling_url verbatim, on its other host, until Ready with a sample that downloads', async () => {
    const job = accepted(await provider.submit(request({ prompt: 'a fjord', width: 128, height: 96, seed: 9 })));

    expect(await provider.poll(job)).toEqual({ kind: 'pending', providerStatus: 'Pending' });
    const done = await pollUntilDone(job);
    expect(done).toEqual({ kind: 'succeeded', providerStatus: 'Ready', images: [{ kind: 'url', url: expect.stringContaining(`/files/${job.providerJobId}/`) }] });
    const polls = fake.server.received('GET', /^\/v1\/get_result$/).filter((r) => r.url.includes(job.providerJobId));
    expect(new Set(polls.map((r: RecordedRequest) => r.headers.host))).toEqual(new Set([new URL(fake.pollingBaseUrl).host]));
    expect(polls.every((r) => r.headers['x-key'] === 'bfl-key')).toBe(true);

    const [sample] = done.kind === 'succeeded' ? done.images : [];
    const download = await fetch(sample?.kind === 'url' ? sample.url : 'http://no-sample');
    expect(Buffer.from(await download.arrayBuffer())).toEqual(await fake.expectedImage('a fjord', 9, 128, 96));
  });

  it.each([
    ['[fake:fail]', 'Error', 'provider_error'],
    ['[fake:failed-status]', 'Failed', 'provider_error'],
    ['[fake:content-moderated]', 'Content Moderated', 'content_moderated'],
    ['[fake:request-moderated]', 'Request Moderated', 'content_moderated'],
  ])('maps a task ending %s to %s → %s, not retryable', async (directive, providerStatus, code) => {
    const job = accepted(await provider.submit(request({ prompt: `end ${directive}` })));
    expect(await pollUntilDone(job)).toEqual({ kind: 'failed', providerStatus, failure: { code, retryable: false, detail: expect.objectContaining({ status: providerStatus }) } });
  });

  it('maps an unknown task to a non-retryable failure', async () => {
    const observation = await provider.poll({ providerJobId: 'no-such-task', providerModel: 'flux-2-pro' });
    expect(observation).toMatchObject({ kind: 'failed', providerStatus: 'Task not found', failure: { code: 'provider_error', retryable: false } });
  });

  it.each([
    ['503', 'poll_error:503'],
    ['429', 'poll_error:429'],
  ])('reads a %s on a poll as still pending, then carries on', async (status, providerStatus) => {
    const job = accepted(await provider.submit(request({ prompt: `flaky [fake:poll-error:${status}x1]` })));
    expect(await provider.poll(job)).toEqual({ kind: 'pending', providerStatus });
    expect((await pollUntilDone(job)).kind).toBe('succeeded');
  });

  it('reads an unreachable polling host as still pending', async () => {
    const job = { providerJobId: 'x', providerModel: 'flux-2-pro', handle: { pollingUrl: `${await closedPortUrl()}/v1/get_result?id=x` } };
    expect(await provider.poll(job)).toEqual({ kind: 'pending', providerStatus: 'poll_error:network' });
  });

  it('has no cancel and resolves anyway', async () => {
    await expect(provider.cancel()).resolves.toBeUndefined();
  });
});

describe('BflProvider webhooks', () => {
  it('verifies a callback the provider signed and parses it as a hint to re-poll', async () => {
    const { job, delivery } = await submitAndReceive('webhook ok');
    const headers = delivery.headers as Record<string, string>;

    expect(await provider.verifyWebhook(headers, delivery.body)).toBe(true);
    expect(provider.parseWebhook(headers, delivery.body)).toEqual({
      providerJobId: job.providerJobId,
      deliveryId: createHash('sha256').update(headers['x-bfl-signature']).update(delivery.body).digest('hex'),
      observation: { kind: 'succeeded', providerStatus: 'Ready', images: [{ kind: 'url', url: expect.stringContaining(job.providerJobId) }] },
      confirmByPoll: true,
    });
  });

  it('refuses a tampered body, a forged or missing signature, and any callback when it has no secret', async () => {
    const { delivery } = await submitAndReceive('webhook tamper');
    const headers = delivery.headers as Record<string, string>;
    const tampered = Buffer.from(delivery.body.toString().replace('"Ready"', '"Error"'));
    expect(await provider.verifyWebhook(headers, tampered)).toBe(false);
    expect(await provider.verifyWebhook({ ...headers, 'x-bfl-signature': 'sha256=nothex' }, delivery.body)).toBe(false);
    expect(await provider.verifyWebhook({}, delivery.body)).toBe(false);
    const secretless = new BflProvider({ baseUrl: fake.url, apiKey: 'bfl-key', requestTimeoutMs: 2000 });
    expect(await secretless.verifyWebhook(headers, delivery.body)).toBe(false);

    const forged = await submitAndReceive('webhook forged [fake:bad-signature]');
    expect(await provider.verifyWebhook(forged.delivery.headers as Record<string, string>, forged.delivery.body)).toBe(false);
    const unsigned = await submitAndReceive('webhook unsigned [fake:unsigned-webhook]');
    expect(unsigned.delivery.headers['x-bfl-signature']).toBeUndefined();
    expect(await provider.verifyWebhook(unsigned.delivery.headers as Record<string, string>, unsigned.delivery.body)).toBe(false);
  });

  it('parses a failure callback and refuses a malformed one', async () => {
    const { job, delivery } = await submitAndReceive('webhook fails [fake:fail]');
    expect(provider.parseWebhook(delivery.headers as Record<string, string>, delivery.body)).toMatchObject({
      providerJobId: job.providerJobId,
      observation: { kind: 'failed', providerStatus: 'Error', failure: { code: 'provider_error', retryable: false } },
    });
    expect(() => provider.parseWebhook({}, Buffer.from('{"status":"Ready"'))).toThrow(ProviderPayloadError);
  });
});

async function submitAndReceive(prompt: string) {
  const job = accepted(await provider.submit(request({ prompt, webhookUrl: `${receiver.url}/hook` })));
  for (let waited = 0; waited < 2000; waited += 20) {
    const delivery = receiver.requests.find((r) => r.body.includes(job.providerJobId));
    if (delivery) return { job, delivery };
    await sleep(20);
  }
  throw new Error(`no webhook for ${prompt}`);
}

async function pollUntilDone(job: ProviderJobRef): Promise<JobObservation> {
  for (let waited = 0; waited < 2000; waited += 20) {
    const observation = await provider.poll(job);
    if (observation.kind !== 'pending') return observation;
    await sleep(20);
  }
  throw new Error('still pending');
}

function sentBody(prompt: string): string {
  return fake.server.received('POST', /^\/v1\/flux-2-pro$/).find((r) => r.body.includes(prompt))!.body.toString();
}

async function closedPortUrl(): Promise<string> {
  const server = await new FakeServer().start();
  const url = server.url;
  await server.stop();
  return url;
}

function accepted(outcome: SubmitOutcome): ProviderJobRef {
  if (outcome.kind !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(outcome)}`);
  return outcome.job;
}

const request = (overrides: Partial<ProviderSubmitRequest> = {}): ProviderSubmitRequest =>
  submitRequest({ providerModel: 'flux-2-pro', prompt: 'a lighthouse', width: 128, height: 128, seed: 42, ...overrides });

const failed = (failure: unknown): SubmitOutcome => ({ kind: 'failed', failure }) as SubmitOutcome;
