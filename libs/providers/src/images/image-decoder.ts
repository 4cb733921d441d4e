import sharp, { type Metadata } from 'sharp';
import { budgetRefusal, DEFAULT_DECODE_LIMITS, type DecodeLimits } from './decode-budget';

/** Pixel decodes at once per process by default: half of libuv's four threads, so DNS, crypto and file I/O keep theirs. */
export const DEFAULT_DECODE_CONCURRENCY = 2;

/** Side of the thumbnail a verifying decode produces; JPEG and WebP shrink on load, PNG streams row by row. */
const VERIFY_SIDE = 64;

export type HeaderRead =
  | { readonly ok: true; readonly meta: Metadata & { readonly width: number; readonly height: number } }
  /** `tooLarge`: the header is fine but decoding it would exceed a limit. */
  | { readonly ok: false; readonly tooLarge: boolean; readonly reason: string };

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';

/**
 * The one way darkroom reads an image it did not draw (uploads, edit inputs, provider
 * results, staged bytes): the header first, checked against `DecodeLimits` before any
 * pixel is decoded; then any decode in one of `concurrency` slots, the rest queued in
 * arrival order. One instance per process (built at boot from config), so every service
 * of the embedded process shares its slots.
 */
export class ImageDecoder {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
    readonly concurrency = DEFAULT_DECODE_CONCURRENCY,
  ) {
    // libvips' operation cache keeps recent results (up to 50 MB) for repeats that never come here.
    sharp.cache(false);
  }

  /**
   * The header alone (libvips reads no pixel data for `metadata()`), refused when decoding
   * it would cost too much. `image`: the bytes, or the path of a file holding them.
   */
  async readHeader(image: Buffer | string): Promise<HeaderRead> {
    let meta: Metadata;
    try {
      meta = await sharp(image, { limitInputPixels: false }).metadata();
    } catch (error) {
      return { ok: false, tooLarge: false, reason: messageOf(error) };
    }
    const { width, height, channels, depth } = meta;
    if (!width || !height || !channels || !depth) return { ok: false, tooLarge: false, reason: 'image has no dimensions' };
    const refusal = budgetRefusal({ width, height, channels, depth, progressive: meta.isProgressive }, this.limits);
    if (refusal) return { ok: false, tooLarge: true, reason: refusal };
    return { ok: true, meta: { ...meta, width, height } };
  }

  /**
   * Decodes every pixel once, in a slot, into a thumbnail rather than the full image: a
   * truncated or corrupt file is found without holding its pixels. Only for images whose
   * header `readHeader` accepted. Undefined when it decodes, else why not.
   */
  verify(image: Buffer | string): Promise<string | undefined> {
    return this.withSlot(async () => {
      try {
        await sharp(image, { limitInputPixels: this.limits.maxPixels, failOn: 'truncated' })
          .resize(VERIFY_SIDE, VERIFY_SIDE, { fit: 'inside' })
          .raw()
          .toBuffer();
        return undefined;
      } catch (error) {
        return messageOf(error);
      }
    });
  }

  /** Runs `decode` once fewer than `concurrency` decodes are running in this process. */
  async withSlot<T>(decode: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
    try {
      return await decode();
    } finally {
      // The slot passes straight to the next in line, so `active` never drops below what runs.
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }
}
