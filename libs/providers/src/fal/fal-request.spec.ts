import { describe, expect, it } from '@jest/globals';
import type { ProviderSubmitRequest } from '../image-provider';
import { falJobUrls, falSubmitCall } from './fal-request';
import { submitRequest } from '../provider-request.fixtures';

const base = 'https://queue.fal.run';

describe('falSubmitCall', () => {
  it('posts the model input to the full endpoint id', () => {
    expect(falSubmitCall(base, request())).toEqual({
      url: `${base}/fal-ai/nano-banana`,
      body: { prompt: 'a fox', num_images: 1, seed: 7, output_format: 'png', image_size: { width: 512, height: 384 } },
    });
  });

  it('edits on the subpath with image_urls, ratio, negative prompt and the webhook in the query', () => {
    const bytes = Buffer.from('png');
    const call = falSubmitCall(
      base,
      request({
        providerModel: 'fal-ai/nano-banana/edit',
        n: 2,
        aspectRatio: '3:2',
        negativePrompt: 'blur',
        inputImages: [{ bytes, contentType: 'image/png', url: 'https://bucket/a.png' }],
        referenceImages: [{ bytes, contentType: 'image/webp' }],
        webhookUrl: 'https://darkroom/webhooks/providers/fal?task=t1&attempt=2',
      }),
    );
    expect(call).toEqual({
      url: `${base}/fal-ai/nano-banana/edit?fal_webhook=${encodeURIComponent('https://darkroom/webhooks/providers/fal?task=t1&attempt=2')}`,
      body: {
        prompt: 'a fox',
        num_images: 2,
        seed: 7,
        output_format: 'png',
        aspect_ratio: '3:2',
        negative_prompt: 'blur',
        image_urls: ['https://bucket/a.png', `data:image/webp;base64,${bytes.toString('base64')}`],
      },
    });
  });
});

describe('falJobUrls', () => {
  it('builds status, result and cancel on the owner/app root, without the subpath', () => {
    expect(falJobUrls(base, 'fal-ai/flux-pro/kontext/max', 'r-1')).toEqual({
      status: `${base}/fal-ai/flux-pro/requests/r-1/status`,
      response: `${base}/fal-ai/flux-pro/requests/r-1`,
      cancel: `${base}/fal-ai/flux-pro/requests/r-1/cancel`,
    });
  });
});

const request = (overrides: Partial<ProviderSubmitRequest> = {}): ProviderSubmitRequest =>
  submitRequest({ taskId: 't1', providerModel: 'fal-ai/nano-banana', prompt: 'a fox', width: 512, height: 384, seed: 7, ...overrides });
