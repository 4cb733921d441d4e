import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { ProviderInputImage, ProviderSubmitRequest, SubmitOutcome } from '../image-provider';
import { DEFAULT_DECODE_LIMITS } from '../images/decode-budget';
import { ImageDecoder } from '../images/image-decoder';
import { EDIT_OVERLAY_OPACITY, LocalRenderer } from './local-renderer';
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

describe('LocalRenderer edits', () => {
  /** 120×60: red on the left half, blue on the right; a 60×60 cover crop keeps the middle. */
  let input: ProviderInputImage;

  beforeAll(async () => {
    const half = (r: number, b: number) => sharp({ create: { width: 60, height: 60, channels: 3, background: { r, g: 0, b } } });
    const bytes = await half(220, 20)
      .extend({ right: 60, background: { r: 20, g: 0, b: 220 } })
      .png()
      .toBuffer();
    input = { bytes, contentType: 'image/png' };
  });

  const edit = (overrides: Partial<ProviderSubmitRequest> = {}) => request({ inputImages: [input], width: 64, height: 48, ...overrides });

  it('renders a PNG of exactly the requested size, whatever the input size', async () => {
    for (const [width, height] of [[64, 48], [300, 500], [16, 16]] as const) {
      const [image] = imagesOf(await renderer.submit(edit({ width, height })));
      expect(image.contentType).toBe('image/png');
      expect(await sharp(image.bytes).metadata()).toMatchObject({ format: 'png', width, height });
    }
  });

  it('gives byte-identical images for the same input, prompt, size and seed', async () => {
    const first = imagesOf(await renderer.submit(edit({ n: 2 })));
    const copy = { bytes: Buffer.from(input.bytes), contentType: input.contentType, url: 'https://elsewhere.example/x.png' };
    const second = imagesOf(await renderer.submit(edit({ n: 2, inputImages: [copy], taskId: 'another-task' })));
    expect(second.map((i) => sha256(i.bytes))).toEqual(first.map((i) => sha256(i.bytes)));
  });

  it('differs from the text-to-image render of the same request, and with another input, prompt or seed', async () => {
    const other = await sharp({ create: { width: 80, height: 80, channels: 3, background: '#30a040' } }).png().toBuffer();
    const renders = await Promise.all(
      [
        edit(),
        edit({ inputImages: [] }),
        edit({ inputImages: [{ bytes: other, contentType: 'image/png' }] }),
        edit({ prompt: 'a lighthouse at dawn' }),
        edit({ seed: 43 }),
      ].map(async (r) => sha256(imagesOf(await renderer.submit(r))[0].bytes)),
    );
    expect(new Set(renders).size).toBe(renders.length);
  });

  it('blends the artwork over the input covered to size: each pixel is part artwork, part input', async () => {
    const { width, height } = { width: 64, height: 48 };
    const [edited] = imagesOf(await renderer.submit(edit({ width, height })));
    const [plain] = imagesOf(await renderer.submit(edit({ width, height, inputImages: [] })));
    const covered = await sharp(input.bytes).resize(width, height, { fit: 'cover' }).raw().toBuffer();
    const [out, art] = await Promise.all([edited, plain].map((image) => sharp(image.bytes).removeAlpha().raw().toBuffer()));
    expect(out.length).toBe(covered.length);
    let worst = 0;
    for (let i = 0; i < out.length; i++) {
      const expected = EDIT_OVERLAY_OPACITY * art[i] + (1 - EDIT_OVERLAY_OPACITY) * covered[i];
      worst = Math.max(worst, Math.abs(out[i] - expected));
    }
    expect(worst).toBeLessThanOrEqual(3);
    // The crop kept the middle of the input: red shows through on the left, blue on the right.
    const at = (x: number, channel: number) => out[(24 * width + x) * 3 + channel] - EDIT_OVERLAY_OPACITY * art[(24 * width + x) * 3 + channel];
    expect(at(2, 0)).toBeGreaterThan(at(2, 2));
    expect(at(width - 3, 2)).toBeGreaterThan(at(width - 3, 0));
  });

  it('renders n distinct edits', async () => {
    const images = imagesOf(await renderer.submit(edit({ n: 3 })));
    expect(new Set(images.map((i) => sha256(i.bytes))).size).toBe(3);
  });

  it('refuses a second input image, reference images and an input it cannot decode, without retry', async () => {
    const garbage = { bytes: Buffer.from('not an image at all'), contentType: 'image/png' };
    for (const bad of [{ inputImages: [input, input] }, { referenceImages: [input] }, { inputImages: [garbage] }]) {
      expect(await renderer.submit(edit(bad))).toMatchObject({
        kind: 'failed',
        failure: { code: 'invalid_input', retryable: false, detail: { message: expect.any(String) } },
      });
    }
  });

  it('refuses an input over the decode budget from its header, without retry', async () => {
    const images = new ImageDecoder({ ...DEFAULT_DECODE_LIMITS, maxDecodedBytes: 120 * 60 * 3 - 1 });
    expect(await new LocalRenderer({ images }).submit(edit())).toMatchObject({
      kind: 'failed',
      failure: { code: 'invalid_input', retryable: false, detail: { message: expect.stringContaining('over the budget') } },
    });
  });

  it('draws no more images at once than the decode slots allow', async () => {
    const images = new ImageDecoder(DEFAULT_DECODE_LIMITS, 1);
    let running = 0;
    let most = 0;
    const withSlot = images.withSlot.bind(images);
    jest.spyOn(images, 'withSlot').mockImplementation((decode) =>
      withSlot(async () => {
        most = Math.max(most, ++running);
        try {
          return await decode();
        } finally {
          running -= 1;
        }
      }),
    );
    expect(imagesOf(await new LocalRenderer({ images }).submit(edit({ n: 4 })))).toHaveLength(4);
    expect(most).toBe(1);
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
