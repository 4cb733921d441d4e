import { readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, crc32, deflateRawSync } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';

/**
 * Decompression bombs: small files whose headers promise far more decoded bytes than they
 * weigh. The PNGs are written by hand (no encoder ever holds their pixels): every row is
 * filter byte 0 and black samples, i.e. all zeros, so the image data is one compressed
 * block of zeros repeated.
 */
export interface ImageBomb {
  readonly kind: BombKind;
  readonly name: string;
  readonly bytes: Buffer;
}

/** The bombs of issue 14, by the name fakes and tests use for them. */
export const BOMBS = {
  'tall-gray-png': '1x39,000,000 8-bit gray PNG',
  'deep-rgba-png': '6300x6300 16-bit RGBA PNG',
  'lossless-webp': '6300x6300 lossless WebP',
  'huge-png': '20000x20000 PNG',
  'progressive-jpeg': '6300x6300 progressive JPEG',
} as const;
export type BombKind = keyof typeof BOMBS;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** PNG colour types by channel count. */
const COLOUR_TYPE = { 1: 0, 2: 4, 3: 2, 4: 6 } as const;
const ZEROS_PER_BLOCK = 1 << 20;

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A zlib stream of `length` zero bytes without deflating them all: a block ending in a sync
 * flush starts byte-aligned and refers only to zeros, so one such block repeats validly.
 */
function zlibZeros(length: number): Buffer {
  const sync = { finishFlush: constants.Z_SYNC_FLUSH, level: 9 };
  const full = deflateRawSync(Buffer.alloc(ZEROS_PER_BLOCK), sync);
  const rest = length % ZEROS_PER_BLOCK;
  const parts = [Buffer.from([0x78, 0xda]), ...Array<Buffer>(Math.floor(length / ZEROS_PER_BLOCK)).fill(full)];
  if (rest > 0) parts.push(deflateRawSync(Buffer.alloc(rest), sync));
  parts.push(deflateRawSync(Buffer.alloc(0)));
  // Adler-32 of n zeros: a = 1, b = n (mod 65521).
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE(((length % 65521) << 16) | 1, 0);
  return Buffer.concat([...parts, adler]);
}

/** An all-black PNG of the given size, `bitDepth` 8 or 16 bits per sample. */
export function blackPng(width: number, height: number, channels: 1 | 2 | 3 | 4, bitDepth: 8 | 16 = 8): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(bitDepth, 8);
  ihdr.writeUInt8(COLOUR_TYPE[channels], 9);
  const rowBytes = 1 + (width * channels * bitDepth) / 8;
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', zlibZeros(rowBytes * height)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A flat-coloured image of the given size encoded by sharp: it holds the pixels while encoding (seconds), so it is made once a machine. */
async function flat(name: string, width: number, height: number, channels: 3 | 4, encode: (image: Sharp) => Sharp) {
  const file = join(tmpdir(), `darkroom-image-bomb-v1-${name}`);
  const cached = await readFile(file).catch(() => undefined);
  if (cached) return cached;
  const bytes = await encode(sharp({ create: { width, height, channels, background: { r: 40, g: 90, b: 160, alpha: 1 } } })).toBuffer();
  await writeFile(`${file}.${process.pid}`, bytes);
  await rename(`${file}.${process.pid}`, file);
  return bytes;
}

const made = new Map<BombKind, Promise<Buffer>>();

function make(kind: BombKind): Promise<Buffer> {
  switch (kind) {
    case 'tall-gray-png':
      return Promise.resolve(blackPng(1, 39_000_000, 1));
    case 'deep-rgba-png':
      return Promise.resolve(blackPng(6300, 6300, 4, 16));
    case 'lossless-webp':
      return flat(kind, 6300, 6300, 4, (image) => image.webp({ lossless: true, effort: 0 }));
    case 'huge-png':
      return Promise.resolve(blackPng(20_000, 20_000, 3));
    case 'progressive-jpeg':
      return flat(kind, 6300, 6300, 3, (image) => image.jpeg({ progressive: true, quality: 50 }));
  }
}

/** One bomb's bytes, made once per process. */
export function imageBomb(kind: BombKind): Promise<Buffer> {
  let bytes = made.get(kind);
  if (!bytes) made.set(kind, (bytes = make(kind)));
  return bytes;
}

/** Every bomb of issue 14: each under 40 megapixels or refused by it, each at most about a megabyte. */
export async function imageBombs(): Promise<ImageBomb[]> {
  const kinds = Object.keys(BOMBS) as BombKind[];
  return Promise.all(kinds.map(async (kind) => ({ kind, name: BOMBS[kind], bytes: await imageBomb(kind) })));
}

export const isBombKind = (kind: string): kind is BombKind => Object.hasOwn(BOMBS, kind);
