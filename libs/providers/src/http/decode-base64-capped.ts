/** Largest inline (base64) result image accepted from a provider. */
export const MAX_INLINE_IMAGE_BYTES = 50 * 1024 * 1024;

export type InlineDecode =
  | { readonly ok: true; readonly bytes: Buffer }
  | { readonly ok: false; readonly reason: 'too_large' | 'invalid_base64'; readonly message: string };

const BASE64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;

/**
 * Decodes inline base64 (standard or URL-safe, whitespace allowed) only when it cannot
 * exceed `maxBytes`: every 4 characters carry at most 3 bytes, so the bound is known from the
 * text's length before anything is decoded or copied. Whitespace counts towards that
 * bound, which errs on the side of refusing.
 */
export function decodeBase64Capped(text: string, maxBytes: number = MAX_INLINE_IMAGE_BYTES): InlineDecode {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const upperBound = Math.floor(((text.length - padding) * 3) / 4);
  if (upperBound > maxBytes) {
    return { ok: false, reason: 'too_large', message: `inline image of up to ${upperBound} bytes, more than ${maxBytes}` };
  }
  const compact = text.replace(/\s+/g, '');
  if (!BASE64.test(compact)) return { ok: false, reason: 'invalid_base64', message: 'inline image is not valid base64' };
  return { ok: true, bytes: Buffer.from(compact, 'base64') };
}
