import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeOpenAi, FakeServer } from '@darkroom/fake-providers';
import type { ProviderSubmitRequest, SubmitOutcome } from '../image-provider';
import { OpenAiProvider } from './openai.provider';
import { submitRequest } from '../provider-request.fixtures';

const fake = new FakeOpenAi().configure({ apiKey: 'sk-test', latencyMs: 5, retryAfterMs: 250 });
let provider: OpenAiProvider;

beforeAll(async () => {
  await fake.start();
  provider = new OpenAiProvider({ baseUrl: fake.url, apiKey: 'sk-test', requestTimeoutMs: 2000 });
});
afterAll(() => fake.stop());

describe('OpenAiProvider.submit', () => {
  it('generates n images and returns the exact bytes the API sent', async () => {
    const outcome = await provider.submit(request({ prompt: 'a red fox', n: 2, quality: 'high' }));

    expect(outcome).toEqual({
      kind: 'completed',
      images: [
        { kind: 'bytes', bytes: await fake.expectedImage('a red fox', 0, 256, 192), contentType: 'image/png' },
        { kind: 'bytes', bytes: await fake.expectedImage('a red fox', 1, 256, 192), contentType: 'image/png' },
      ],
    });
    const [sent] = fake.server.received('POST', /^\/v1\/images\/generations$/).filter((r) => r.body.includes('a red fox'));
    expect(sent.headers.authorization).toBe('Bearer sk-test');
    expect(JSON.parse(sent.body.toString())).toEqual({
      model: 'gpt-image-1',
      prompt: 'a red fox',
      n: 2,
      size: '256x192',
      output_format: 'png',
      quality: 'high',
    });
  });

  it('edits with input then reference images sent as multipart image[] parts', async () => {
    const target = await fake.expectedImage('target', 0, 32, 32);
    const reference = await fake.expectedImage('reference', 0, 16, 16, 'jpeg');
    const outcome = await provider.submit(
      request({
        prompt: 'make it blue',
        inputImages: [{ bytes: target, contentType: 'image/png' }],
        referenceImages: [{ bytes: reference, contentType: 'image/jpeg' }],
      }),
    );

    expect(outcome).toEqual({
      kind: 'completed',
      images: [{ kind: 'bytes', bytes: await fake.expectedImage('make it blue', 0, 256, 192), contentType: 'image/png' }],
    });
    const [sent] = fake.server.received('POST', /^\/v1\/images\/edits$/);
    const form = await new Request('http://x', {
      method: 'POST',
      headers: { 'content-type': String(sent.headers['content-type']) },
      body: new Uint8Array(sent.body),
    }).formData();
    const parts = form.getAll('image[]') as File[];
    expect(parts.map((part) => [part.name, part.type])).toEqual([
      ['image-1.png', 'image/png'],
      ['image-2.jpg', 'image/jpeg'],
    ]);
    expect(Buffer.from(await parts[0].arrayBuffer())).toEqual(target);
    expect(Buffer.from(await parts[1].arrayBuffer())).toEqual(reference);
    expect([form.get('prompt'), form.get('model'), form.get('size'), form.get('n')]).toEqual(['make it blue', 'gpt-image-1', '256x192', '1']);
  });

  it('maps a safety refusal to content_moderated, keeping the error and request id', async () => {
    expect(await provider.submit(request({ prompt: 'forbidden [fake:moderated]' }))).toEqual(
      failed({
        code: 'content_moderated',
        retryable: false,
        detail: {
          httpStatus: 400,
          error: { message: expect.stringContaining('safety system'), type: 'image_generation_user_error', param: null, code: 'moderation_blocked' },
          requestId: expect.stringMatching(/^req_fake_\d+$/),
        },
      }),
    );
  });

  it('maps an invalid request to provider_rejected with the offending param', async () => {
    const outcome = await provider.submit(request({ prompt: 'x [fake:invalid]' }));
    expect(outcome).toMatchObject(failed({ code: 'provider_rejected', retryable: false, detail: { httpStatus: 400, error: { param: 'size', type: 'invalid_request_error' } } }));
  });

  it('maps 429 to a retryable failure with retry-after-ms, and does not retry by itself', async () => {
    const prompt = 'busy [fake:429x1]';
    expect(await provider.submit(request({ prompt }))).toMatchObject(
      failed({ code: 'provider_error', retryable: true, retryAfterSeconds: 0.25, detail: { httpStatus: 429, error: { code: 'rate_limit_exceeded' } } }),
    );
    expect(fake.server.requests.filter((r) => r.body.includes(prompt))).toHaveLength(1);
    expect((await provider.submit(request({ prompt }))).kind).toBe('completed');
  });

  it.each([
    ['500', 500],
    ['503', 503],
  ])('maps %s to a retryable provider_error', async (status, httpStatus) => {
    const outcome = await provider.submit(request({ prompt: `down [fake:${status}x1]` }));
    expect(outcome).toEqual(failed({ code: 'provider_error', retryable: true, detail: expect.objectContaining({ httpStatus }) }));
  });

  it('maps a wrong key to a non-retryable provider_error', async () => {
    const wrongKey = new OpenAiProvider({ baseUrl: fake.url, apiKey: 'sk-wrong', requestTimeoutMs: 2000 });
    expect(await wrongKey.submit(request())).toMatchObject(
      failed({ code: 'provider_error', retryable: false, detail: { httpStatus: 401, error: { code: 'invalid_api_key' } } }),
    );
  });

  it('maps a connection dropped mid-body to a retryable network failure', async () => {
    const outcome = await provider.submit(request({ prompt: 'cut [fake:reset]' }));
    expect(outcome).toEqual(failed({ code: 'provider_error', retryable: true, detail: { network: expect.any(String) } }));
  });

  it('maps a 200 with broken JSON to a non-retryable provider_error', async () => {
    const outcome = await provider.submit(request({ prompt: 'garbled [fake:malformed]' }));
    expect(outcome).toEqual(failed({ code: 'provider_error', retryable: false, detail: { malformedResponse: expect.any(String) } }));
  });

  it('maps a request timeout to a retryable failure', async () => {
    const impatient = new OpenAiProvider({ baseUrl: fake.url, apiKey: 'sk-test', requestTimeoutMs: 100 });
    const outcome = await impatient.submit(request({ prompt: 'slow [fake:latency:400]' }));
    expect(outcome).toEqual(failed({ code: 'provider_error', retryable: true, detail: { network: 'timeout' } }));
  });

  it('maps a refused connection to a retryable failure', async () => {
    const nowhere = new OpenAiProvider({ baseUrl: `${await closedPortUrl()}/v1`, apiKey: 'sk-test', requestTimeoutMs: 1000 });
    expect(await nowhere.submit(request())).toEqual(failed({ code: 'provider_error', retryable: true, detail: { network: 'ECONNREFUSED' } }));
  });
});

describe('OpenAiProvider as a synchronous provider', () => {
  it('has no jobs to poll or cancel and takes no webhooks', async () => {
    expect([provider.name, provider.mode]).toEqual(['openai', 'sync']);
    await expect(provider.poll()).rejects.toThrow('synchronous');
    await expect(provider.cancel()).resolves.toBeUndefined();
    expect(await provider.verifyWebhook()).toBe(false);
    expect(() => provider.parseWebhook()).toThrow('no webhooks');
  });
});

const request = (overrides: Partial<ProviderSubmitRequest> = {}): ProviderSubmitRequest =>
  submitRequest({ providerModel: 'gpt-image-1', prompt: 'a lighthouse', width: 256, height: 192, seed: 7, ...overrides });

/** A loopback URL nothing listens on: a server started and stopped again. */
async function closedPortUrl(): Promise<string> {
  const server = await new FakeServer().start();
  const url = server.url;
  await server.stop();
  return url;
}

const failed = (failure: unknown): SubmitOutcome => ({ kind: 'failed', failure }) as SubmitOutcome;
