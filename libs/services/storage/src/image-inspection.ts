import { createHash } from 'node:crypto';
import sharp from 'sharp';

const formats: Readonly<Record<string, string>> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };

/** Largest image accepted, checked from the header before any pixel is decoded. */
export const MAX_PIXELS = 4096 * 4096;

export type Inspection =
  | { readonly ok: true; readonly contentType: string; readonly width: number; readonly height: number; readonly sha256: string; readonly bytes: number }
  | { readonly ok: false; readonly reason: string };

/**
 * Sniffs the real format from the bytes (the declared type is not trusted), checks the
 * pixel limit, and decodes once so a truncated file is refused.
 */
export async function inspectImage(bytes: Buffer): Promise<Inspection> {
  try {
    const image = sharp(bytes, { limitInputPixels: MAX_PIXELS, failOn: 'truncated' });
    const meta = await image.metadata();
    const contentType = meta.format ? formats[meta.format] : undefined;
    if (!contentType || !meta.width || !meta.height) {
      return { ok: false, reason: `not a supported image (format: ${meta.format ?? 'unknown'})` };
    }
    await image.stats(); // full decode: catches truncation and corrupt data
    return {
      ok: true,
      contentType,
      width: meta.width,
      height: meta.height,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.length,
    };
  } catch (error) {
    return { ok: false, reason: `not a valid image: ${(error as Error).message}` };
  }
}
