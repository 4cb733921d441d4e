import { createHash } from 'node:crypto';
import type { ImageDecoder } from '@darkroom/providers';
import type { ReceivedFile } from './multipart-receiver';

/** Upload formats providers accept for edits, by sharp's name for them. */
const accepted = {
  png: { contentType: 'image/png', extension: 'png' },
  jpeg: { contentType: 'image/jpeg', extension: 'jpg' },
  webp: { contentType: 'image/webp', extension: 'webp' },
} as const;

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
 * bytes; the declared content type is never consulted). Only PNG, JPEG and WebP pass; an
 * image over the decode budget is refused from its header, and the rest is decoded once,
 * in one of the process's decode slots, so a truncated or corrupt file is refused here
 * rather than by a provider mid-task.
 */
export async function sniffImage(source: Buffer | ReceivedFile, decoder: ImageDecoder): Promise<SniffResult> {
  const { input, bytes, sha256 } = Buffer.isBuffer(source)
    ? { input: source, bytes: source.length, sha256: createHash('sha256').update(source).digest('hex') }
    : { input: source.path, bytes: source.bytes, sha256: source.sha256 };
  if (bytes === 0) return rejected('invalid_image', 'The file is empty.');
  const header = await decoder.readHeader(input);
  if (!header.ok) {
    if (header.tooLarge) return rejected('image_too_large', `The ${header.reason}.`);
    if (/unsupported image format/i.test(header.reason)) {
      return rejected('unsupported_media_type', 'Upload a PNG, JPEG or WebP image; this file is not an image.');
    }
    return rejected('invalid_image', `The image could not be decoded: ${header.reason}`);
  }
  const { format, width, height } = header.meta;
  const kind = Object.hasOwn(accepted, format) ? accepted[format as keyof typeof accepted] : undefined;
  if (!kind) return rejected('unsupported_media_type', `Upload a PNG, JPEG or WebP image; this file is ${format}.`);
  const corrupt = await decoder.verify(input);
  if (corrupt !== undefined) return rejected('invalid_image', `The image could not be decoded: ${corrupt}`);
  return { ok: true, image: { ...kind, width, height, bytes, sha256 } };
}
