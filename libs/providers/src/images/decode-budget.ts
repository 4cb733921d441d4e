/**
 * What decoding an image may cost, decided from its header before any pixel is decoded.
 * The pixel count alone is no memory budget: bit depth, channels and one huge side all
 * matter (issue 14: a 1×39,000,000 gray PNG and a 6300² 16-bit RGBA PNG both pass 40 MP).
 */
export interface DecodeLimits {
  /** Largest width × height. */
  readonly maxPixels: number;
  /** Largest decoded size in bytes: width × height × channels × bytes per sample, as libvips holds it. */
  readonly maxDecodedBytes: number;
  /** Largest width or height, in pixels. */
  readonly maxSide: number;
  /** Largest long side ÷ short side. */
  readonly maxAspectRatio: number;
}

/**
 * 100 MiB holds every 8-bit image up to 4096² with alpha (64 MiB, the local renderer's
 * largest output) and a 34 MP camera JPEG; it refuses every bomb of issue 14. 16384 is
 * WebP's own side limit; 20:1 is wider than any panorama or banner a provider returns.
 */
export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxPixels: 40_000_000,
  maxDecodedBytes: 100 * 1024 * 1024,
  maxSide: 16_384,
  maxAspectRatio: 20,
};

/** The figures of an image header that set its decoded size (sharp's `metadata()` names). */
export interface ImageHeader {
  readonly width: number;
  readonly height: number;
  /** Channels after the loader's own expansion (a palette PNG reads as 3 or 4). */
  readonly channels: number;
  /** libvips band format: `uchar`, `ushort`, `float`, ... */
  readonly depth: string;
  /** A progressive JPEG keeps every DCT coefficient of the image (16 bits each) until its last scan. */
  readonly progressive?: boolean;
}

const SAMPLE_BYTES: Readonly<Record<string, number>> = {
  uchar: 1,
  char: 1,
  ushort: 2,
  short: 2,
  uint: 4,
  int: 4,
  float: 4,
  complex: 8,
  double: 8,
  dpcomplex: 16,
};

/** Bytes one decoded sample takes; an unknown format counts as the widest. */
export function bytesPerSample({ depth, progressive }: Pick<ImageHeader, 'depth' | 'progressive'>): number {
  const sample = SAMPLE_BYTES[depth] ?? 16;
  return progressive ? Math.max(sample, 2) : sample;
}

export function decodedBytes(header: ImageHeader): number {
  return header.width * header.height * header.channels * bytesPerSample(header);
}

/** Why decoding this image would cost too much, or undefined when it fits every limit. */
export function budgetRefusal(header: ImageHeader, limits: DecodeLimits): string | undefined {
  const { width, height } = header;
  const size = `${width}x${height}`;
  if (Math.max(width, height) > limits.maxSide) return `image of ${size} has a side over ${limits.maxSide} pixels`;
  if (Math.max(width, height) / Math.min(width, height) > limits.maxAspectRatio) {
    return `image of ${size} is more than ${limits.maxAspectRatio} times longer than it is wide`;
  }
  if (width * height > limits.maxPixels) return `image of ${size} exceeds the limit of ${limits.maxPixels} pixels`;
  const bytes = decodedBytes(header);
  if (bytes > limits.maxDecodedBytes) {
    const mib = (n: number) => `${Math.ceil(n / 1024 / 1024)} MiB`;
    const sample = `${header.channels} channel(s) of ${bytesPerSample(header)} byte(s)`;
    return `image of ${size} with ${sample} decodes to ${mib(bytes)}, over the budget of ${mib(limits.maxDecodedBytes)}`;
  }
  return undefined;
}
