import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { ProviderSubmitRequest, SubmitOutcome } from '../image-provider';
import { LocalRenderer } from './local-renderer';
import { submitRequest } from '../provider-request.fixtures';

const renderer = new LocalRenderer();
const withMarkers = new LocalRenderer({ testMarkers: true });

describe('LocalRenderer', () => {
  it('renders valid PNGs of exactly the requested size', async () => {
    for (const [width, height] of [[512, 512], [333, 97], [16, 2048]] as const) {
      const [image] = imagesOf(await renderer.submit(request({ width, height })));
      expect(image.contentType).toBe('image/png');
      expect(image.bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(await sharp(image.bytes).metadata()).toMatchObject({ format: 'png', width, height });
    }
  });

  it('gives byte-identical images for the same request', async () => {
    const first = imagesOf(await renderer.submit(request({ n: 2 })));
    const second = imagesOf(await renderer.submit(request({ n: 2, taskId: 'another-task', attempt: 2 })));
    expect(second.map((i) => sha256(i.bytes))).toEqual(first.map((i) => sha256(i.bytes)));
  });

  it('gives different images for a different seed or prompt', async () => {
    const base = sha256(imagesOf(await renderer.submit(request()))[0].bytes);
    const reseeded = sha256(imagesOf(await renderer.submit(request({ seed: 43 })))[0].bytes);
    const reworded = sha256(imagesOf(await renderer.submit(request({ prompt: 'a lighthouse at dawn' })))[0].bytes);
    expect(new Set([base, reseeded, reworded]).size).toBe(3);
  });

  it('renders n distinct images', async () => {
    const images = imagesOf(await renderer.submit(request({ n: 4 })));
    expect(images).toHaveLength(4);
    expect(new Set(images.map((i) => sha256(i.bytes))).size).toBe(4);
  });

  it('fails without retry when test markers are on and the prompt carries [fail]', async () => {
    expect(await withMarkers.submit(request({ prompt: 'a cat [fail]' }))).toEqual({
      kind: 'failed',
      failure: { code: 'provider_error', retryable: false, detail: { message: expect.any(String) } },
    });
  });

  it('waits for the [slow:<ms>] marker before answering', async () => {
    const started = performance.now();
    const outcome = await withMarkers.submit(request({ prompt: 'a cat [slow:120] [fail]' }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
    expect(outcome.kind).toBe('failed');
  });

  it('ignores the markers unless test markers are on: a prompt is only a prompt', async () => {
    const started = performance.now();
    const outcome = await renderer.submit(request({ prompt: 'a cat [slow:5000] [fail]' }));
    expect(performance.now() - started).toBeLessThan(4000);
    expect(outcome.kind).toBe('completed');
  });

  it('refuses sizes and batch counts outside its limits', async () => {
    for (const bad of [{ width: 0 }, { height: 5000 }, { width: 10.5 }, { n: 0 }, { n: 17 }]) {
      const outcome = await renderer.submit(request(bad));
      expect(outcome).toMatchObject({ kind: 'failed', failure: { code: 'invalid_input', retryable: false } });
    }
  });
});

const request = (overrides: Partial<ProviderSubmitRequest> = {}): ProviderSubmitRequest =>
  submitRequest({ providerModel: 'darkroom-local-v1', prompt: 'a red fox in the snow', width: 512, height: 512, seed: 42, ...overrides });

function imagesOf(outcome: SubmitOutcome) {
  if (outcome.kind !== 'completed') throw new Error(`expected completed, got ${JSON.stringify(outcome)}`);
  return outcome.images.map((image) => {
    if (image.kind !== 'bytes') throw new Error('expected bytes');
    return image;
  });
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
