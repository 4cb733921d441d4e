/** How deep and how wide a JSON body may be before anything walks it. */
export interface JsonShapeLimits {
  /** Objects and arrays nested inside one another; `{}` is depth 1. */
  readonly maxDepth: number;
  /** Object members in the whole document. */
  readonly maxKeys: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * The first limit a JSON text passes, from one linear scan of its bytes: no parse, no
 * recursion, so a body nested 10,000 deep costs what its length costs. Outside strings a
 * colon only ever follows a key. Structural characters are ASCII and never occur inside a
 * UTF-8 multi-byte sequence, so the bytes need no decoding. Invalid JSON may be miscounted;
 * the parse that follows refuses it anyway.
 */
export function exceededJsonLimit(bytes: Uint8Array, limits: JsonShapeLimits): 'depth' | 'keys' | undefined {
  let depth = 0;
  let keys = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i += 1) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i += 1;
      else if (byte === QUOTE) inString = false;
      continue;
    }
    if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      depth += 1;
      if (depth > limits.maxDepth) return 'depth';
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth -= 1;
    else if (byte === COLON) {
      keys += 1;
      if (keys > limits.maxKeys) return 'keys';
    }
  }
  return undefined;
}
