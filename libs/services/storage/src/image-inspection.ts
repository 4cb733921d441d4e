import { createHash } from 'node:crypto';
import type { ImageDecoder } from '@darkroom/providers';

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'gif';

const contentTypes: Readonly<Record<ImageFormat, string>> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
};

export type Inspection =
  | {
      readonly ok: true;
      /** From the sniffed format, never from what the provider declared. */
      readonly contentType: string;
      /** Pixels. */
      readonly width: number;
      readonly height: number;
      /** Hex SHA-256 of the bytes as given (they are stored unchanged). */
      readonly sha256: string;
      readonly bytes: number;
    }
  | { readonly ok: false; readonly reason: string };

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The format the bytes really are, from their magic bytes; undefined for anything else (HTML, SVG, TIFF, ...). */
export function sniffFormat(bytes: Buffer): ImageFormat | undefined {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  const ascii = (from: number, to: number) => bytes.subarray(from, to).toString('latin1');
  if (bytes.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (bytes.length >= 6 && (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a')) return 'gif';
  return undefined;
}

/**
 * True when a PNG carries an animation control chunk (APNG). libvips reads only the
 * default image of an APNG, but browsers would play the stored bytes, so it is found by
 * walking the chunk headers up to the first image data.
 */
export function isAnimatedPng(bytes: Buffer): boolean {
  let at = PNG_SIGNATURE.length;
  while (at + 8 <= bytes.length) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.subarray(at + 4, at + 8).toString('latin1');
    if (type === 'acTL') return true;
    if (type === 'IDAT' || type === 'IEND') return false;
    at += 12 + length;
  }
  return false;
}

const reject = (reason: string): Inspection => ({ ok: false, reason });

/**
 * Decides whether provider output is an image we keep, without trusting anything the
 * provider said about it:
 * 1. the format is sniffed from the magic bytes (PNG, JPEG, WebP or GIF; anything else,
 *    e.g. HTML served as image/png, is refused);
 * 2. the header alone gives the dimensions, channels, bit depth and frame count: an image
 *    over the decode budget (`ImageDecoder.limits`), or with more than one frame or page,
 *    is refused before a single pixel is decoded;
 * 3. only then is the image decoded once, into a thumbnail in one of the process's decode
 *    slots, so a truncated or corrupt file is refused.
 *
 * Animated and multi-page inputs (animated GIF/WebP, APNG) are refused rather than cut to
 * their first frame: every provider we call returns still images, so an animation is a
 * provider fault or a hostile file, and keeping the bytes unchanged keeps the recorded
 * sha256 the provider's own output.
 */
export async function inspectImage(bytes: Buffer, decoder: ImageDecoder): Promise<Inspection> {
  if (bytes.length === 0) return reject('empty output');
  const format = sniffFormat(bytes);
  if (!format) return reject('not a PNG, JPEG, WebP or GIF image');
  if (format === 'png' && isAnimatedPng(bytes)) return reject('animated PNG (APNG) is not accepted');

  const header = await decoder.readHeader(bytes);
  if (!header.ok) return reject(header.tooLarge ? header.reason : `not a valid image: ${header.reason}`);
  const { meta } = header;
  if (meta.format !== format) return reject(`content sniffed as ${format} but decodes as ${meta.format ?? 'unknown'}`);
  if ((meta.pages ?? 1) > 1) return reject(`animated or multi-page image (${meta.pages} frames) is not accepted`);

  const corrupt = await decoder.verify(bytes);
  if (corrupt !== undefined) return reject(`not a valid image: ${corrupt}`);
  return {
    ok: true,
    contentType: contentTypes[format],
    width: meta.width,
    height: meta.height,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length,
  };
}
