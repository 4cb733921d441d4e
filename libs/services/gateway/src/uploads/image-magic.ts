/** The first bytes of the formats uploads accept; `undefined` stands for any byte (RIFF's length). */
const SIGNATURES: readonly (readonly (number | undefined)[])[] = [
  [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], // PNG
  [0xff, 0xd8, 0xff], // JPEG
  [0x52, 0x49, 0x46, 0x46, undefined, undefined, undefined, undefined, 0x57, 0x45, 0x42, 0x50], // RIFF....WEBP
];

/** Bytes `looksLikeImage` needs at most to decide. */
export const MAGIC_BYTES = Math.max(...SIGNATURES.map((signature) => signature.length));

/**
 * Whether a file starting with `head` can be a PNG, JPEG or WebP, from its magic bytes:
 * undefined while `head` is too short to tell and more may come (`complete` false). Decided
 * on the first chunk, so nothing of a file that is not an image is kept.
 */
export function looksLikeImage(head: Uint8Array, complete: boolean): boolean | undefined {
  let undecided = false;
  for (const signature of SIGNATURES) {
    const agrees = signature.every((byte, at) => at >= head.length || byte === undefined || byte === head[at]);
    if (!agrees) continue;
    if (head.length >= signature.length) return true;
    undecided = true;
  }
  return undecided && !complete ? undefined : false;
}
