import { describe, expect, it } from '@jest/globals';
import type { ProviderInputImage, ProviderSubmitRequest } from '../image-provider';
import { bflSubmitBody } from './bfl-request';
import { submitRequest } from '../provider-request.fixtures';

describe('bflSubmitBody', () => {
  it('rounds sizes down to multiples of 16, never below 16', () => {
    expect(bflSubmitBody(request({ width: 1023, height: 577 }), undefined)).toMatchObject({ width: 1008, height: 576 });
    expect(bflSubmitBody(request({ width: 8, height: 16 }), undefined)).toMatchObject({ width: 16, height: 16 });
  });

  it('numbers eight images input_image, input_image_2 … input_image_8, inputs before references', () => {
    const images = (from: number, count: number) => Array.from({ length: count }, (_, i) => image(`img-${from + i}`));
    const body = bflSubmitBody(request({ inputImages: images(1, 3), referenceImages: images(4, 5) }), undefined)!;
    expect(Object.keys(body).filter((key) => key.startsWith('input_image'))).toEqual([
      'input_image',
      'input_image_2',
      'input_image_3',
      'input_image_4',
      'input_image_5',
      'input_image_6',
      'input_image_7',
      'input_image_8',
    ]);
    expect([body.input_image, body.input_image_4]).toEqual([Buffer.from('img-1').toString('base64'), Buffer.from('img-4').toString('base64')]);
  });

  it('refuses a ninth image', () => {
    expect(bflSubmitBody(request({ inputImages: Array(9).fill(image('x')) }), undefined)).toBeUndefined();
  });

  it('adds webhook_url and webhook_secret only with both a URL and a secret', () => {
    expect(bflSubmitBody(request({ webhookUrl: 'https://h/x' }), 's')).toMatchObject({ webhook_url: 'https://h/x', webhook_secret: 's' });
    expect(bflSubmitBody(request({ webhookUrl: 'https://h/x' }), undefined)).not.toHaveProperty('webhook_url');
    expect(bflSubmitBody(request(), 's')).not.toHaveProperty('webhook_secret');
  });
});

const image = (text: string): ProviderInputImage => ({ bytes: Buffer.from(text), contentType: 'image/png' });

const request = (overrides: Partial<ProviderSubmitRequest> = {}): ProviderSubmitRequest =>
  submitRequest({ taskId: 't', providerModel: 'flux-2-pro', prompt: 'p', width: 512, height: 512, seed: 1, ...overrides });
