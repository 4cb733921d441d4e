import { describe, expect, it } from '@jest/globals';
import type { ProviderSubmitRequest } from '../image-provider';
import { predictionCall } from './replicate-request';
import { submitRequest } from '../provider-request.fixtures';

const base = 'https://api.replicate.com/v1';
const version = 'f0a9d34b'.padEnd(64, '0');

describe('predictionCall', () => {
  it('creates an official model at /models/{owner}/{name}/predictions', () => {
    expect(predictionCall(base, request())).toEqual({
      url: `${base}/models/google/nano-banana/predictions`,
      body: { input: { prompt: 'a fox', seed: 7, width: 512, height: 384, output_format: 'png' } },
    });
  });

  it('creates a pinned version at /predictions with the version id', () => {
    expect(predictionCall(base, request({ providerModel: `black-forest-labs/flux-schnell:${version}` }))).toMatchObject({
      url: `${base}/predictions`,
      body: { version },
    });
    expect(predictionCall(base, request({ providerModel: version }))).toMatchObject({ url: `${base}/predictions`, body: { version } });
  });

  it('refuses a model name it cannot route', () => {
    expect(predictionCall(base, request({ providerModel: 'nano-banana' }))).toBeUndefined();
    expect(predictionCall(base, request({ providerModel: 'a/b/c' }))).toBeUndefined();
  });

  it('sends n, aspect ratio, negative prompt, images and the webhook', () => {
    const bytes = Buffer.from('png-bytes');
    const call = predictionCall(
      base,
      request({
        n: 3,
        aspectRatio: '16:9',
        negativePrompt: 'blur',
        inputImages: [{ bytes, contentType: 'image/png', url: 'https://bucket/target.png' }],
        referenceImages: [{ bytes, contentType: 'image/jpeg' }],
        webhookUrl: 'https://darkroom/webhooks/providers/replicate?task=t1&attempt=1',
      }),
    );
    expect(call?.body).toEqual({
      input: {
        prompt: 'a fox',
        seed: 7,
        num_outputs: 3,
        aspect_ratio: '16:9',
        output_format: 'png',
        negative_prompt: 'blur',
        image_input: ['https://bucket/target.png', `data:image/jpeg;base64,${bytes.toString('base64')}`],
      },
      webhook: 'https://darkroom/webhooks/providers/replicate?task=t1&attempt=1',
      webhook_events_filter: ['completed'],
    });
  });
});

const request = (overrides: Partial<ProviderSubmitRequest> = {}): ProviderSubmitRequest =>
  submitRequest({ taskId: 't1', providerModel: 'google/nano-banana', prompt: 'a fox', width: 512, height: 384, seed: 7, ...overrides });
