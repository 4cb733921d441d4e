import { createHash } from 'node:crypto';
import sharp from 'sharp';

/** Upload formats providers accept for edits, by sharp's name for them. */
const accepted = {
  png: { contentType: 'image/png', extension: 'png' },
  jpeg: { contentType: 'image/jpeg', extension: 'jpg' },
  webp: { contentType: 'image/webp', extension: 'webp' },
} as const;

/** Largest upload in pixels (40 megapixels), checked from the header before any pixel is decoded. */
export const MAX_UPLOAD_PIXELS = 40_000_000;

export interface SniffedImage {
  readonly contentType: (typeof accepted)[keyof typeof accepted]['contentType'];
  /** File extension for the object key, without the dot. */
  readonly extension: string;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
  /** Hex digest of the bytes as uploaded. */
  readonly sha256: string;
}

export type ImageRejection = 'unsupported_media_type' | 'invalid_image' | 'image_too_large';

export type SniffResult =
  | { readonly ok: true; readonly image: SniffedImage }
  | { readonly ok: false; readonly reason: ImageRejection; readonly message: string };

const rejected = (reason: ImageRejection, message: string): SniffResult => ({ ok: false, reason, message });

/**
 * What an uploaded file really is, from its bytes (libvips picks its loader by magic
 * bytes; the declared content type is never consulted). Only PNG, JPEG and WebP pass;
 * anything over `maxPixels` is refused from its header, and the rest is decoded once so a
 * truncated or corrupt file is refused here rather than by a provider mid-task.
 */
export async function sniffImage(bytes: Buffer, maxPixels = MAX_UPLOAD_PIXELS): Promise<SniffResult> {
  if (bytes.length === 0) return rejected('invalid_image', 'The file is empty.');
  const image = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'truncated' });
  let format: string | undefined;
  let width: number | undefined;
  let height: number | undefined;
  try {
    ({ format, width, height } = await image.metadata());
  } catch (error) {
    return fromSharpError(error, maxPixels);
  }
  const kind = format !== undefined && Object.hasOwn(accepted, format) ? accepted[format as keyof typeof accepted] : undefined;
  if (!kind) {
    return rejected('unsupported_media_type', `Upload a PNG, JPEG or WebP image; this file is ${format ?? 'of an unknown type'}.`);
  }
  if (!width || !height) return rejected('invalid_image', 'The image has no dimensions.');
  try {
    await image.stats();
  } catch (error) {
    return fromSharpError(error, maxPixels);
  }
  return {
    ok: true,
    image: {
      ...kind,
      width,
      height,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    },
  };
}

function fromSharpError(error: unknown, maxPixels: number): SniffResult {
  const message = error instanceof Error ? error.message : String(error);
  if (/exceeds pixel limit/i.test(message)) {
    return rejected('image_too_large', `The image has more than ${maxPixels / 1_000_000} megapixels.`);
  }
  if (/unsupported image format/i.test(message)) {
    return rejected('unsupported_media_type', 'Upload a PNG, JPEG or WebP image; this file is not an image.');
  }
  return rejected('invalid_image', `The image could not be decoded: ${message.split('\n')[0]}`);
}
