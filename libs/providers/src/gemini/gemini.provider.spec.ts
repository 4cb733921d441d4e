import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeGemini } from '@darkroom/fake-providers';
import type { ProviderSubmitRequest, SubmitOutcome } from '../image-provider';
import { GeminiProvider } from './gemini.provider';
import { submitRequest } from '../provider-request.fixtures';

const fake = new FakeGemini().configure({ apiKey: 'g-key', latencyMs: 5 });
let provider: GeminiProvider;

beforeAll(async () => {
  await fake.start();
  provider = new GeminiProvider({ baseUrl: fake.url, apiKey: 'g-key', requestTimeoutMs: 2000 });
});
afterAll(() => fake.stop());

describe('GeminiProvider.submit', () => {
  it('returns the inline PNG and sends prompt, negative prompt and aspect ratio as Gemini expects', async () => {
    const outcome = await provider.submit(request({ prompt: 'a harbour', negativePrompt: 'blur', aspectRatio: '16:9' }));

    const text = 'a harbour\n\nAvoid: blur';
    expect(outcome).toEqual({ kind: 'completed', images: [{ kind: 'bytes', bytes: await fake.expectedImage(text, 1, '16:9'), contentType: 'image/png' }] });
    const [sent] = fake.server.received('POST', /^\/v1beta\/models\/gemini-2\.5-flash-image:generateContent$/).filter((r) => r.body.includes('a harbour'));
    expect(sent.headers['x-goog-api-key']).toBe('g-key');
    expect(JSON.parse(sent.body.toString())).toEqual({
      contents: [{ role: 'user', parts: [{ text }] }],
      generationConfig: { responseModalities: ['TEXT', 'IMAGE'], imageConfig: { aspectRatio: '16:9' } },
    });
  });

  it('makes one call per image, in parallel, for n > 1', async () => {
    const prompt = 'two boats [fake:latency:150]';
    const outcome = await provider.submit(request({ prompt, n: 2 }));

    const images = outcome.kind === 'completed' ? outcome.images.map((image) => (image.kind === 'bytes' ? image.bytes : undefined)) : [];
    const expected = [await fake.expectedImage(prompt, 1), await fake.expectedImage(prompt, 2)];
    expect(images).toHaveLength(2);
    expect(images).toEqual(expect.arrayContaining(expected));
    const calls = fake.server.requests.filter((r) => r.body.includes('two boats'));
    expect(calls).toHaveLength(2);
    // In parallel: the second call arrived while the first was still held for 150 ms.
    expect(Math.abs(calls[1].at - calls[0].at)).toBeLessThan(150);
    expect(fake.meter.peak).toBeGreaterThanOrEqual(2);
  });

  it('sends input then reference images as inlineData parts after the text', async () => {
    const target = Buffer.from('target-bytes');
    const reference = Buffer.from('reference-bytes');
    const outcome = await provider.submit(
      request({ prompt: 'recolour', inputImages: [{ bytes: target, contentType: 'image/png' }], referenceImages: [{ bytes: reference, contentType: 'image/jpeg' }] }),
    );

    expect(outcome.kind).toBe('completed');
    const [sent] = fake.server.requests.filter((r) => r.body.includes('recolour'));
    expect(JSON.parse(sent.body.toString()).contents[0].parts).toEqual([
      { text: 'recolour' },
      { inlineData: { mimeType: 'image/png', data: target.toString('base64') } },
      { inlineData: { mimeType: 'image/jpeg', data: reference.toString('base64') } },
    ]);
  });

  it('maps a blocked prompt (200 with promptFeedback) to content_moderated', async () => {
    expect(await provider.submit(request({ prompt: 'bad [fake:blocked:PROHIBITED_CONTENT]' }))).toEqual(
      failed({ code: 'content_moderated', retryable: false, detail: expect.objectContaining({ blockReason: 'PROHIBITED_CONTENT' }) }),
    );
  });

  it.each(['IMAGE_SAFETY', 'SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'RECITATION'])('maps a 200 without image and finishReason %s to content_moderated', async (reason) => {
    expect(await provider.submit(request({ prompt: `withheld [fake:no-image:${reason}]` }))).toEqual(
      failed({ code: 'content_moderated', retryable: false, detail: expect.objectContaining({ finishReason: reason }) }),
    );
  });

  it.each(['NO_IMAGE', 'OTHER', 'IMAGE_OTHER', 'MAX_TOKENS'])('maps a 200 without image and finishReason %s to provider_rejected', async (reason) => {
    expect(await provider.submit(request({ prompt: `nothing [fake:no-image:${reason}]` }))).toEqual(
      failed({ code: 'provider_rejected', retryable: false, detail: expect.objectContaining({ finishReason: reason }) }),
    );
  });

  it('maps a text-only reply to provider_rejected, keeping the text', async () => {
    expect(await provider.submit(request({ prompt: 'chatty [fake:text-only]' }))).toEqual(
      failed({ code: 'provider_rejected', retryable: false, detail: expect.objectContaining({ finishReason: 'STOP', text: expect.stringContaining('Here is') }) }),
    );
  });

  it('maps an image part with malformed base64 to a non-retryable provider_error', async () => {
    expect(await provider.submit(request({ prompt: 'broken [fake:bad-base64]' }))).toEqual(
      failed({ code: 'provider_error', retryable: false, detail: { malformedBase64: true, mimeType: 'image/png' } }),
    );
  });

  it('maps a 200 whose body is not JSON to a non-retryable provider_error', async () => {
    expect(await provider.submit(request({ prompt: 'cut off [fake:malformed]' }))).toEqual(
      failed({ code: 'provider_error', retryable: false, detail: { malformedResponse: expect.stringContaining('"candidates"') } }),
    );
  });

  it('maps RESOURCE_EXHAUSTED to a retryable failure with the RetryInfo delay', async () => {
    expect(await provider.submit(request({ prompt: 'quota [fake:429x1]' }))).toEqual(
      failed({
        code: 'provider_error',
        retryable: true,
        retryAfterSeconds: 1,
        detail: { httpStatus: 429, error: expect.objectContaining({ code: 429, status: 'RESOURCE_EXHAUSTED' }) },
      }),
    );
  });

  it.each([
    [500, 'INTERNAL'],
    [503, 'UNAVAILABLE'],
    [504, 'DEADLINE_EXCEEDED'],
  ])('maps %i %s to a retryable provider_error', async (httpStatus, status) => {
    expect(await provider.submit(request({ prompt: `down [fake:${httpStatus}x1]` }))).toEqual(
      failed({ code: 'provider_error', retryable: true, detail: { httpStatus, error: expect.objectContaining({ status }) } }),
    );
  });

  it('fails the whole request when one of n calls fails', async () => {
    expect(await provider.submit(request({ prompt: 'half [fake:503x1]', n: 3 }))).toMatchObject(failed({ code: 'provider_error', retryable: true }));
  });

  it('maps an unknown model to provider_rejected and a wrong key to provider_error', async () => {
    expect(await provider.submit(request({ providerModel: 'gemini-9-imaginary' }))).toMatchObject(
      failed({ code: 'provider_rejected', retryable: false, detail: { httpStatus: 404, error: { status: 'NOT_FOUND' } } }),
    );
    const wrongKey = new GeminiProvider({ baseUrl: fake.url, apiKey: 'nope', requestTimeoutMs: 2000 });
    expect(await wrongKey.submit(request())).toMatchObject(failed({ code: 'provider_error', retryable: false, detail: { httpStatus: 403, error: { status: 'PERMISSION_DENIED' } } }));
  });

  it('maps a timeout to a retryable failure', async () => {
    const impatient = new GeminiProvider({ baseUrl: fake.url, apiKey: 'g-key', requestTimeoutMs: 100 });
    expect(await impatient.submit(request({ prompt: 'slow [fake:latency:400]' }))).toEqual(failed({ code: 'provider_error', retryable: true, detail: { network: 'timeout' } }));
  });
});

describe('GeminiProvider as a synchronous provider', () => {
  it('has no jobs to poll or cancel and takes no webhooks', async () => {
    expect([provider.name, provider.mode]).toEqual(['gemini', 'sync']);
    await expect(provider.poll()).rejects.toThrow('synchronous');
    await expect(provider.cancel()).resolves.toBeUndefined();
    expect(await provider.verifyWebhook()).toBe(false);
    expect(() => provider.parseWebhook()).toThrow('no webhooks');
  });
});

const request = (overrides: Partial<ProviderSubmitRequest> = {}): ProviderSubmitRequest =>
  submitRequest({ providerModel: 'gemini-2.5-flash-image', prompt: 'a lighthouse', width: 1024, height: 1024, seed: 7, ...overrides });

const failed = (failure: unknown): SubmitOutcome => ({ kind: 'failed', failure }) as SubmitOutcome;
