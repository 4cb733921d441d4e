import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { DomainError } from '@darkroom/kernel';
import { ModelCatalog } from './model-catalog';
import type { RequestedParams } from './resolve-request';

const catalog = ModelCatalog.load();
const ask = (overrides: Partial<RequestedParams> = {}): RequestedParams => ({ inputImages: 0, referenceImages: 0, ...overrides });

function fieldErrors(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('unsupported_by_model');
    return ((error as DomainError).detail as { errors: { field: string }[] }).errors.map((e) => e.field);
  }
  throw new Error('expected unsupported_by_model');
}

describe('model catalog', () => {
  it('ships a model for every provider', () => {
    expect(new Set(catalog.list().map((m) => m.provider))).toEqual(new Set(['local', 'openai', 'gemini', 'bfl', 'replicate', 'fal']));
  });

  it('fills in model defaults', () => {
    expect(catalog.resolve('gpt-image-1', ask())).toEqual({ width: 1024, height: 1024, quality: 'auto', n: 1 });
    expect(catalog.resolve('nano-banana', ask())).toEqual({ width: 1024, height: 1024, aspectRatio: '1:1', n: 1 });
    expect(catalog.resolve('nano-banana', ask({ aspectRatio: '16:9' }))).toEqual({
      width: 1360,
      height: 768,
      aspectRatio: '16:9',
      n: 1,
    });
  });

  it('refuses an edit on a text-only model', () => {
    expect(fieldErrors(() => catalog.resolve('flux-schnell', ask({ inputImages: 1 })))).toEqual(['input_images']);
    expect(fieldErrors(() => catalog.resolve('flux-schnell', ask({ referenceImages: 1 })))).toEqual(['reference_images']);
  });

  it('lets local edit one input image, and no more, without references', () => {
    expect(catalog.resolve('local', ask({ inputImages: 1, size: '320x240' }))).toEqual({ width: 320, height: 240, n: 1 });
    expect(fieldErrors(() => catalog.resolve('local', ask({ inputImages: 2 })))).toEqual(['input_images']);
    expect(fieldErrors(() => catalog.resolve('local', ask({ referenceImages: 1 })))).toEqual(['reference_images']);
  });

  it('keeps an edit input’s aspect ratio when no size is named: the nearest size the model offers', () => {
    const input = (width: number, height: number) => ask({ inputImages: 1, inputSize: { width, height } });
    expect(catalog.resolve('local', input(640, 480))).toEqual({ width: 640, height: 480, n: 1 });
    expect(catalog.resolve('local', input(4000, 3000))).toEqual({ width: 2048, height: 1536, n: 1 });
    expect(catalog.resolve('local', input(8, 6))).toEqual({ width: 21, height: 16, n: 1 });
    expect(catalog.resolve('flux-2-pro', input(1000, 750))).toEqual({ width: 1008, height: 752, n: 1 });
    expect(catalog.resolve('gpt-image-1', input(640, 480))).toEqual({ width: 1536, height: 1024, quality: 'auto', n: 1 });
    expect(catalog.resolve('gpt-image-1', input(300, 600))).toEqual({ width: 1024, height: 1536, quality: 'auto', n: 1 });
    expect(catalog.resolve('nano-banana', input(1920, 1080))).toEqual({ width: 1360, height: 768, aspectRatio: '16:9', n: 1 });
    // A size or ratio the caller names wins over the input's shape.
    expect(catalog.resolve('local', { ...input(640, 480), size: '256x256' })).toEqual({ width: 256, height: 256, n: 1 });
  });

  it('ships flux-schnell as a text-only Replicate model sized by aspect ratio', () => {
    expect(catalog.get('flux-schnell')).toMatchObject({
      provider: 'replicate',
      providerModel: 'black-forest-labs/flux-schnell',
      capabilities: { textToImage: true, edit: false, referenceImages: false, maxInputImages: 0, maxN: 4 },
      pricing: { perImage: 1 },
      maxAttempts: 3,
      deadlineSeconds: 600,
      pollIntervalSeconds: 1,
    });
    expect(catalog.resolve('flux-schnell', ask({ n: 4 }))).toEqual({ width: 1024, height: 1024, aspectRatio: '1:1', n: 4 });
    expect(fieldErrors(() => catalog.resolve('flux-schnell', ask({ size: '512x512' })))).toEqual(['size']);
  });

  it('refuses too many input images, a size off the list and too many outputs, all at once', () => {
    expect(fieldErrors(() => catalog.resolve('nano-banana', ask({ inputImages: 3, referenceImages: 1, n: 9 })))).toEqual([
      'input_images',
      'n',
    ]);
    expect(fieldErrors(() => catalog.resolve('gpt-image-1', ask({ size: '512x512', quality: 'ultra' })))).toEqual([
      'quality',
      'size',
    ]);
  });

  it('checks free sizes against range and multiple', () => {
    expect(catalog.resolve('flux-2-pro', ask({ size: '1024x768' }))).toMatchObject({ width: 1024, height: 768 });
    expect(fieldErrors(() => catalog.resolve('flux-2-pro', ask({ size: '1000x768' })))).toEqual(['size']);
    expect(fieldErrors(() => catalog.resolve('nano-banana', ask({ size: '1024x1024' })))).toEqual(['size']);
    expect(fieldErrors(() => catalog.resolve('local', ask({ aspectRatio: '1:1' })))).toEqual(['aspect_ratio']);
  });

  it('prices by quality, size and count', () => {
    const gpt = catalog.get('gpt-image-1');
    expect(catalog.price(gpt, { n: 2, quality: 'high', width: 1024, height: 1024 })).toBe(32);
    expect(catalog.price(gpt, { n: 1, quality: 'low', width: 1536, height: 1024 })).toBe(2);
    expect(catalog.price(catalog.get('local'), { n: 3, width: 512, height: 512 })).toBe(3);
  });

  it('plans the model attempts, then its fallbacks', () => {
    expect(catalog.attemptPlan('nano-banana')).toEqual([
      { model: 'nano-banana', provider: 'gemini', attempts: 3 },
      { model: 'nano-banana-fal', provider: 'fal', attempts: 3 },
    ]);
    expect(catalog.attemptPlan('local')).toEqual([{ model: 'local', provider: 'local', attempts: 1 }]);
  });

  it('merges an override file by model id and provider name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'catalog-'));
    const path = join(dir, 'models.json');
    const local = catalog.get('local');
    writeFileSync(path, JSON.stringify({ providers: { bfl: { concurrency: 8 } }, models: [{ ...local, maxAttempts: 2 }] }));
    const merged = ModelCatalog.load(path);
    expect(merged.get('local').maxAttempts).toBe(2);
    expect(merged.providerLimits('bfl').concurrency).toBe(8);
    expect(merged.list()).toHaveLength(catalog.list().length);
  });

  it('lists the hosts each URL-answering provider delivers results from', () => {
    expect(catalog.resultHosts('replicate')).toEqual(['replicate.delivery', '*.replicate.delivery']);
    expect(catalog.resultHosts('fal')).toEqual(expect.arrayContaining(['v3.fal.media', 'v3b.fal.media', '*.fal.media']));
    expect(catalog.resultHosts('bfl')).toEqual(expect.arrayContaining(['*.bfl.ai']));
    expect(catalog.resultHosts('openai')).toEqual([]);
    expect(catalog.resultHosts('unknown')).toEqual([]);
    expect(catalog.providerNames()).toEqual(expect.arrayContaining(['local', 'openai', 'gemini', 'bfl', 'replicate', 'fal']));
  });

  it('refuses result hosts that are not host names or *.suffix wildcards', () => {
    const local = catalog.get('local');
    for (const host of ['*', '*.com', '127.0.0.1', 'Replicate.Delivery', 'https://replicate.delivery', 'replicate.delivery:443', '*.*.fal.media']) {
      expect(() => ModelCatalog.from({ version: 1, providers: { local: { concurrency: 1, resultHosts: [host] } }, models: [local] })).toThrow(
        /providers\.local\.resultHosts/,
      );
    }
  });

  it('refuses an invalid catalog, naming each problem', () => {
    const local = catalog.get('local');
    expect(() =>
      ModelCatalog.from({ version: 1, providers: { local: { concurrency: 0 } }, models: [{ ...local, maxAttempts: 0, fallbacks: ['nope'] }] }),
    ).toThrow(/models\.0\.maxAttempts[\s\S]*providers\.local\.concurrency/);
    expect(() => ModelCatalog.from({ version: 1, providers: {}, models: [{ ...local, fallbacks: ['nope'] }] })).toThrow(
      /fallback "nope" is not a model/,
    );
  });
});
