import { createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { DEFAULT_DECODE_LIMITS, ImageDecoder } from '@darkroom/providers';
import { blackPng } from '@darkroom/testing';
import { inspectImage as inspectWith, sniffFormat } from './image-inspection';

const decoder = new ImageDecoder();
const inspectImage = (bytes: Buffer) => inspectWith(bytes, decoder);

const solid = (width: number, height: number, r = 10) =>
  sharp({ create: { width, height, channels: 3, background: { r, g: 20, b: 30 } } });
const noisy = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } });

describe('inspectImage', () => {
  describe('accepts', () => {
    it('a PNG, with its format, dimensions, size and sha256', async () => {
      const bytes = await solid(40, 30).png().toBuffer();
      expect(await inspectImage(bytes)).toEqual({
        ok: true,
        contentType: 'image/png',
        width: 40,
        height: 30,
        bytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      });
    });

    it.each([
      ['jpeg', 'image/jpeg'],
      ['webp', 'image/webp'],
      ['gif', 'image/gif'],
    ] as const)('a still %s', async (format, contentType) => {
      const bytes = await solid(64, 48).toFormat(format).toBuffer();
      expect(await inspectImage(bytes)).toMatchObject({ ok: true, contentType, width: 64, height: 48 });
    });
  });

  describe('refuses without trusting any declared type', () => {
    it('HTML, whatever it was served as', async () => {
      const html = Buffer.from('<!DOCTYPE html><html><body><script>alert(1)</script></body></html>');
      expect(sniffFormat(html)).toBeUndefined();
      expect(await inspectImage(html)).toEqual({ ok: false, reason: 'not a PNG, JPEG, WebP or GIF image' });
    });

    it('SVG, which would carry script', async () => {
      const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>x</script></svg>');
      expect(await inspectImage(svg)).toMatchObject({ ok: false });
    });

    it('an empty body', async () => {
      expect(await inspectImage(Buffer.alloc(0))).toEqual({ ok: false, reason: 'empty output' });
    });

    it('a PNG signature followed by garbage', async () => {
      const bytes = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('<html>')]);
      expect(await inspectImage(bytes)).toMatchObject({ ok: false, reason: expect.stringContaining('not a valid image') });
    });
  });

  describe('pixel limit, from the header', () => {
    it('refuses a 74-byte PNG declaring 30000x30000 without decoding it', async () => {
      const bomb = pngDeclaring(30_000, 30_000);
      expect(bomb.length).toBeLessThan(100);
      await inspectImage(await solid(8, 8).png().toBuffer()); // load libvips before measuring

      const before = process.memoryUsage().rss;
      const result = await inspectImage(bomb);
      const grownMb = (process.memoryUsage().rss - before) / 1024 / 1024;

      expect(result).toEqual({ ok: false, reason: 'image of 30000x30000 has a side over 16384 pixels' });
      // Decoding would need 30000 * 30000 * 3 bytes = 2.5 GB.
      expect(grownMb).toBeLessThan(100);
    });

    it('applies a configured limit', async () => {
      const bytes = await solid(100, 100).png().toBuffer();
      const limited = (maxPixels: number) => new ImageDecoder({ ...DEFAULT_DECODE_LIMITS, maxPixels });
      expect(await inspectWith(bytes, limited(100 * 100))).toMatchObject({ ok: true });
      expect(await inspectWith(bytes, limited(100 * 100 - 1))).toMatchObject({ ok: false, reason: expect.stringContaining('exceeds') });
    });

    it('refuses a 16-bit RGBA PNG under the pixel limit by its decoded size, in under a second', async () => {
      const bomb = blackPng(6300, 6300, 4, 16);
      const started = Date.now();
      expect(await inspectImage(bomb)).toEqual({
        ok: false,
        reason: 'image of 6300x6300 with 4 channel(s) of 2 byte(s) decodes to 303 MiB, over the budget of 100 MiB',
      });
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('refuses one side of 39,000,000 pixels in under a second', async () => {
      const started = Date.now();
      expect(await inspectImage(blackPng(1, 39_000_000, 1))).toMatchObject({ ok: false, reason: expect.stringContaining('side over') });
      expect(Date.now() - started).toBeLessThan(1000);
    });
  });

  describe('truncated files', () => {
    it.each(['png', 'jpeg', 'webp', 'gif'] as const)('refuses a %s cut in half', async (format) => {
      const bytes = await noisy(200, 200).toFormat(format).toBuffer();
      expect(await inspectImage(bytes)).toMatchObject({ ok: true });
      expect(await inspectImage(bytes.subarray(0, Math.floor(bytes.length / 2)))).toMatchObject({ ok: false });
    });
  });

  describe('animated and multi-page inputs are refused', () => {
    it.each(['gif', 'webp'] as const)('an animated %s', async (format) => {
      const frames = await Promise.all([solid(16, 16, 200).png().toBuffer(), solid(16, 16, 20).png().toBuffer()]);
      const animated = await sharp(frames, { join: { animated: true } }).toFormat(format).toBuffer();
      expect((await sharp(animated).metadata()).pages).toBe(2);
      expect(await inspectImage(animated)).toEqual({ ok: false, reason: 'animated or multi-page image (2 frames) is not accepted' });
    });

    it('an APNG, which libvips would read as its still default image', async () => {
      const still = await solid(16, 16).png().toBuffer();
      const actl = chunk('acTL', Buffer.from([0, 0, 0, 2, 0, 0, 0, 0]));
      const ihdrEnd = 8 + 25; // signature + IHDR chunk
      const apng = Buffer.concat([still.subarray(0, ihdrEnd), actl, still.subarray(ihdrEnd)]);
      expect((await sharp(apng).metadata()).format).toBe('png');
      expect(await inspectImage(apng)).toEqual({ ok: false, reason: 'animated PNG (APNG) is not accepted' });
    });
  });
});

/** A PNG chunk: length, type, data, CRC of type + data. */
function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A tiny, well-formed-looking RGB PNG whose IHDR claims `width` x `height`. */
function pngDeclaring(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1000))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
