import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import type { ProviderInputImage, ProviderSubmitRequest, SubmitOutcome } from '../image-provider';
import { ImageDecoder } from '../images/image-decoder';
import { artworkSvg } from './local-artwork';
import { SyncImageProvider } from '../sync-image-provider';

/** Largest side and batch the renderer accepts; keeps one request from starving the process. */
export const LOCAL_MAX_SIDE = 4096;
export const LOCAL_MAX_N = 16;
/** Longest `[slow]` wait honoured. */
export const MAX_SLOW_MS = 30_000;
/** How much of the artwork covers an edited image; the rest of each pixel is the input's. */
export const EDIT_OVERLAY_OPACITY = 0.5;

/**
 * The built-in provider: renders abstract PNGs with no external account. Image `i` of a
 * request is a pure function of (prompt, width, height, seed, i), so the same request
 * gives byte-identical images and a new seed gives new ones. An edit (one input image, no
 * references) is the input turned upright, resized to cover the requested size (cropped
 * to centre), with that same artwork laid over it at `EDIT_OVERLAY_OPACITY`: a pure
 * function of (input bytes, prompt, width, height, seed, i) as well.
 *
 * With `testMarkers` on (never in production: any API user could use them), markers in the
 * prompt drive the failure and timing paths:
 * - `[slow:<ms>]` waits that many milliseconds (at most `MAX_SLOW_MS`) before doing anything
 *   else (e.g. "a cat [slow:5000]"), to exercise cancellation and deadlines.
 * - `[fail]` returns `{ kind: 'failed', code: 'provider_error', retryable: false }`
 *   (after any `[slow]` wait), a deterministic provider failure.
 */
export class LocalRenderer extends SyncImageProvider {
  readonly name = 'local';

  private readonly images: ImageDecoder;

  /** `images`: the process's decode budget and slots; each image drawn takes one slot. */
  constructor(private readonly options: { readonly testMarkers?: boolean; readonly images?: ImageDecoder } = {}) {
    super();
    this.images = options.images ?? new ImageDecoder();
  }

  async submit(request: ProviderSubmitRequest): Promise<SubmitOutcome> {
    if (this.options.testMarkers) {
      const marked = await this.followMarkers(request.prompt);
      if (marked) return marked;
    }
    const invalid = validate(request);
    if (invalid) return { kind: 'failed', failure: { code: 'invalid_input', retryable: false, detail: { message: invalid } } };

    const [input] = request.inputImages;
    // Uploads passed the budget when they were made; the limits may have been lowered since.
    const header = input ? await this.images.readHeader(input.bytes) : undefined;
    if (header && !header.ok) {
      const message = `The input image could not be decoded: ${header.reason}`;
      return { kind: 'failed', failure: { code: 'invalid_input', retryable: false, detail: { message } } };
    }
    const draw = (index: number): Promise<Buffer> => {
      const artwork = { ...request, index };
      return this.images.withSlot(() =>
        input ? renderOver(input, artworkSvg(artwork, { opacity: EDIT_OVERLAY_OPACITY }), request) : render(artworkSvg(artwork)),
      );
    };
    let rendered: Buffer[];
    try {
      rendered = await Promise.all(Array.from({ length: request.n }, (_, index) => draw(index)));
    } catch (error) {
      // Only an input image can make sharp fail here (the artwork is ours); it is the request's fault.
      if (!input) throw error;
      const message = `The input image could not be decoded: ${error instanceof Error ? error.message : String(error)}`;
      return { kind: 'failed', failure: { code: 'invalid_input', retryable: false, detail: { message } } };
    }
    return { kind: 'completed', images: rendered.map((bytes) => ({ kind: 'bytes' as const, bytes, contentType: 'image/png' })) };
  }

  private async followMarkers(prompt: string): Promise<SubmitOutcome | undefined> {
    const slow = /\[slow:(\d+)\]/.exec(prompt);
    if (slow) await sleep(Math.min(Number(slow[1]), MAX_SLOW_MS));
    if (prompt.includes('[fail]')) {
      return {
        kind: 'failed',
        failure: {
          code: 'provider_error',
          retryable: false,
          detail: { message: 'The local renderer was asked to fail by the "[fail]" marker in the prompt.' },
        },
      };
    }
    return undefined;
  }
}

function validate({ width, height, n, inputImages, referenceImages }: ProviderSubmitRequest): string | undefined {
  const side = (value: number) => Number.isInteger(value) && value >= 1 && value <= LOCAL_MAX_SIDE;
  if (!side(width) || !side(height)) return `width and height must be integers from 1 to ${LOCAL_MAX_SIDE}`;
  if (!Number.isInteger(n) || n < 1 || n > LOCAL_MAX_N) return `n must be an integer from 1 to ${LOCAL_MAX_N}`;
  if (inputImages.length > 1) return 'the local renderer edits one input image at a time';
  if (referenceImages.length > 0) return 'the local renderer takes no reference images';
  return undefined;
}

const PNG_OPTIONS = { compressionLevel: 6 } as const;

async function render(svg: string): Promise<Buffer> {
  // The SVG's integer width/height set the output size; no resize needed.
  return sharp(Buffer.from(svg)).png(PNG_OPTIONS).toBuffer();
}

/** The input, upright and covering width × height, with the translucent artwork on top. */
async function renderOver(input: ProviderInputImage, svg: string, { width, height }: ProviderSubmitRequest): Promise<Buffer> {
  // sharp applies rotate (EXIF orientation) and resize before composite; an animated input gives its first frame.
  return sharp(input.bytes)
    .rotate()
    .resize(width, height, { fit: 'cover' })
    .composite([{ input: Buffer.from(svg) }])
    .png(PNG_OPTIONS)
    .toBuffer();
}
