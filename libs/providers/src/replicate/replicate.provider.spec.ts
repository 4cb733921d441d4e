import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeReplicate, FakeServer, sendJson } from '@darkroom/fake-providers';
import type { JobObservation, ProviderJobRef, ProviderSubmitRequest, SubmitOutcome } from '../image-provider';
import { ReplicateProvider } from './replicate.provider';
import { submitRequest } from '../provider-request.fixtures';

const fake = new FakeReplicate({ startingMs: 20, processingMs: 40 });
let provider: ReplicateProvider;
const settings = () => ({ baseUrl: fake.url, apiKey: 'r8_test', requestTimeoutMs: 2000, webhookToleranceSeconds: 300 });

beforeAll(async () => {
  await fake.start();
  provider = new ReplicateProvider(settings());
});
afterAll(() => fake.stop());

describe('ReplicateProvider text to image', () => {
  it('creates on the official-model path, polls starting → succeeded and links the fake’s PNG', async () => {
    const job = accepted(await provider.submit(request({ prompt: 'a red fox [fake:cold:300]' })));
    const id = job.providerJobId;
    expect(job).toEqual({
      providerJobId: id,
      providerModel: 'google/nano-banana',
      handle: { get: `${fake.url}/predictions/${id}`, cancel: `${fake.url}/predictions/${id}/cancel` },
    });
    expect(await provider.poll(job)).toEqual({ kind: 'pending', providerStatus: 'starting' });

    const [sent] = fake.server.received('POST', /^\/v1\/models\/google\/nano-banana\/predictions$/).filter((r) => r.body.includes('a red fox'));
    expect(sent.headers.authorization).toBe('Bearer r8_test');
    expect(JSON.parse(sent.body.toString())).toEqual({ input: { prompt: 'a red fox [fake:cold:300]', seed: 42, width: 96, height: 64, output_format: 'png' } });

    const done = await settle(job);
    expect(done).toEqual({ kind: 'succeeded', providerStatus: 'succeeded', images: [{ kind: 'url', url: `${fake.server.url}/files/${id}/0.png` }] });
    const download = await fetch(firstUrl(done));
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(download.status).toBe(200);
    expect(bytes.equals(fake.imagesOf(id)[0])).toBe(true);
    expect(bytes.readUInt32BE(16)).toBe(96); // IHDR width
    expect(bytes.readUInt32BE(20)).toBe(64);
  });

  it('creates a pinned version on /predictions', async () => {
    const version = 'a'.repeat(64);
    const job = accepted(await provider.submit(request({ prompt: 'pinned', providerModel: `black-forest-labs/flux-schnell:${version}` })));
    const [sent] = fake.server.received('POST', /^\/v1\/predictions$/).filter((r) => r.body.includes('pinned'));
    expect(JSON.parse(sent.body.toString())).toMatchObject({ version, input: { prompt: 'pinned' } });
    expect(fake.prediction(job.providerJobId)).toMatchObject({ version, status: 'starting' });
  });

  it('reads array output and data: URI output', async () => {
    const array = await settle(accepted(await provider.submit(request({ prompt: 'two [fake:array-output]', n: 2 }))));
    expect(array).toMatchObject({ kind: 'succeeded', images: [{ kind: 'url' }, { kind: 'url' }] });

    const job = accepted(await provider.submit(request({ prompt: 'inline [fake:data-uri]' })));
    expect(await settle(job)).toEqual({
      kind: 'succeeded',
      providerStatus: 'succeeded',
      images: [{ kind: 'bytes', bytes: fake.imagesOf(job.providerJobId)[0], contentType: 'image/png' }],
    });
  });

  it('sends input then reference images in image_input', async () => {
    const target = Buffer.from('target-bytes');
    await provider.submit(
      request({
        prompt: 'make it blue',
        inputImages: [{ bytes: target, contentType: 'image/png' }],
        referenceImages: [{ bytes: Buffer.from('ref'), contentType: 'image/jpeg', url: 'https://bucket/ref.jpg' }],
      }),
    );
    const [sent] = fake.server.received('POST', /predictions$/).filter((r) => r.body.includes('make it blue'));
    expect(JSON.parse(sent.body.toString()).input.image_input).toEqual([`data:image/png;base64,${target.toString('base64')}`, 'https://bucket/ref.jpg']);
  });
});

describe('ReplicateProvider failures', () => {
  it('maps an NSFW failure to content_moderated and a model error to provider_error, neither retryable', async () => {
    expect(await settle(accepted(await provider.submit(request({ prompt: 'x [fake:moderated]' }))))).toEqual({
      kind: 'failed',
      providerStatus: 'failed',
      failure: {
        code: 'content_moderated',
        retryable: false,
        detail: { status: 'failed', error: 'NSFW content detected. Try running it again, or try a different prompt.' },
      },
    });
    expect(await settle(accepted(await provider.submit(request({ prompt: 'x [fake:fail]' }))))).toMatchObject({
      kind: 'failed',
      failure: { code: 'provider_error', retryable: false, detail: { error: 'Prediction failed: the model raised an exception (RuntimeError)' } },
    });
  });

  it('retries a 429 after Retry-After, and the next create goes through', async () => {
    expect(await provider.submit(request({ prompt: 'busy [fake:429x1]' }))).toEqual({
      kind: 'failed',
      failure: {
        code: 'provider_error',
        retryable: true,
        retryAfterSeconds: 1,
        detail: { httpStatus: 429, body: { detail: 'Request was throttled. Your rate limit resets in ~30s.' } },
      },
    });
    expect((await provider.submit(request({ prompt: 'busy [fake:429x1]' }))).kind).toBe('accepted');
  });

  it('reads an HTTP-date Retry-After', async () => {
    fake.configure({ retryAfterHttpDate: true, retryAfterSeconds: 3 });
    try {
      const outcome = await provider.submit(request({ prompt: 'dated [fake:429x1]' }));
      const seconds = outcome.kind === 'failed' ? outcome.failure.retryAfterSeconds : undefined;
      expect(seconds).toBeGreaterThan(1);
      expect(seconds).toBeLessThanOrEqual(3);
    } finally {
      fake.configure({ retryAfterHttpDate: false, retryAfterSeconds: 1 });
    }
  });

  it.each([500, 502, 503])('retries a %i on create', async (status) => {
    expect(await provider.submit(request({ prompt: `flaky [fake:${status}x1]` }))).toMatchObject({
      kind: 'failed',
      failure: { code: 'provider_error', retryable: true, detail: { httpStatus: status } },
    });
  });

  it('rejects invalid input (422) and a bad token (401) without retry', async () => {
    expect(await provider.submit(request({ prompt: 'bad [fake:422x1]' }))).toMatchObject({
      kind: 'failed',
      failure: { code: 'provider_rejected', retryable: false, detail: { httpStatus: 422, body: { status: 422, title: 'Input validation failed' } } },
    });
    const anonymous = new ReplicateProvider({ ...settings(), apiKey: '' });
    expect(await anonymous.submit(request())).toMatchObject({ kind: 'failed', failure: { code: 'provider_error', retryable: false, detail: { httpStatus: 401 } } });
  });

  it('fails an unknown prediction without retry', async () => {
    expect(await provider.poll({ providerJobId: 'nosuchprediction', providerModel: 'google/nano-banana' })).toMatchObject({
      kind: 'failed',
      providerStatus: 'http:404',
      failure: { code: 'provider_error', retryable: false, detail: { httpStatus: 404 } },
    });
  });

  it('keeps a job pending through poll errors, then sees it finish', async () => {
    const job = accepted(await provider.submit(request({ prompt: 'shaky [fake:poll-503x1] [fake:poll-429x2]' })));
    expect(await provider.poll(job)).toEqual({ kind: 'pending', providerStatus: 'poll_error:503' });
    expect((await settle(job)).kind).toBe('succeeded');
  });

  it('treats a network failure as retryable on submit and as a poll error on poll', async () => {
    const closed = new FakeServer();
    await closed.start();
    const url = closed.url;
    await closed.stop();
    const offline = new ReplicateProvider({ ...settings(), baseUrl: `${url}/v1` });
    expect(await offline.submit(request())).toMatchObject({ kind: 'failed', failure: { code: 'provider_error', retryable: true } });
    expect(await offline.poll({ providerJobId: 'p', providerModel: 'google/nano-banana' })).toEqual({ kind: 'pending', providerStatus: 'poll_error:network' });
  });

  it('fails without retry when a 2xx create answer carries no prediction', async () => {
    const odd = await new FakeServer().on('POST', /./, (_req, res) => sendJson(res, 201, { hello: 'world' })).start();
    try {
      expect(await new ReplicateProvider({ ...settings(), baseUrl: odd.url }).submit(request())).toMatchObject({
        kind: 'failed',
        failure: { code: 'provider_error', retryable: false, detail: { httpStatus: 201, body: { hello: 'world' } } },
      });
    } finally {
      await odd.stop();
    }
  });
});

describe('ReplicateProvider cancel and retention', () => {
  it('cancels a running prediction', async () => {
    const job = accepted(await provider.submit(request({ prompt: 'long [fake:latency:5000]' })));
    await provider.cancel(job);
    expect(await provider.poll(job)).toEqual({ kind: 'canceled', providerStatus: 'canceled' });
    await expect(provider.cancel(job)).resolves.toBeUndefined();
  });

  it('maps aborted (deadline before start) to canceled', async () => {
    expect(await settle(accepted(await provider.submit(request({ prompt: 'late [fake:aborted]' }))))).toEqual({ kind: 'canceled', providerStatus: 'aborted' });
  });

  it('fails without retry once the outputs are deleted, and the file is gone', async () => {
    const job = accepted(await provider.submit(request({ prompt: 'brief [fake:retention:60]' })));
    const done = await settle(job);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await provider.poll(job)).toMatchObject({
      kind: 'failed',
      failure: { code: 'provider_error', retryable: false, detail: { message: 'outputs deleted by the provider' } },
    });
    expect((await fetch(firstUrl(done))).status).toBe(410);
  });
});

function firstUrl(observation: JobObservation): string {
  const image = observation.kind === 'succeeded' ? observation.images[0] : undefined;
  if (image?.kind !== 'url') throw new Error(`expected a url image, got ${JSON.stringify(observation)}`);
  return image.url;
}

function accepted(outcome: SubmitOutcome): ProviderJobRef {
  if (outcome.kind !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(outcome)}`);
  return outcome.job;
}

async function settle(job: ProviderJobRef): Promise<JobObservation> {
  for (let i = 0; i < 200; i += 1) {
    const observation = await provider.poll(job);
    if (observation.kind !== 'pending') return observation;
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
  throw new Error('the prediction never finished');
}

const request = (overrides: Partial<ProviderSubmitRequest> = {}): ProviderSubmitRequest =>
  submitRequest({ providerModel: 'google/nano-banana', prompt: 'a cat', width: 96, height: 64, seed: 42, ...overrides });
