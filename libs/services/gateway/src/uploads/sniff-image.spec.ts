import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import sharp from 'sharp';
import { DEFAULT_DECODE_LIMITS, ImageDecoder } from '@darkroom/providers';
import { blackPng } from '@darkroom/testing';
import { sniffImage as sniffWith } from './sniff-image';

const decoder = new ImageDecoder();
const sniffImage = (bytes: Buffer) => sniffWith(bytes, decoder);

const canvas = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 80, b: 20 } } });

describe('sniffImage', () => {
  it.each([
    ['png', 'image/png', 'png'],
    ['jpeg', 'image/jpeg', 'jpg'],
    ['webp', 'image/webp', 'webp'],
  ] as const)('accepts a real %s with its dimensions, size and sha256', async (format, contentType, extension) => {
    const bytes = await canvas(64, 48).toFormat(format).toBuffer();
    expect(await sniffImage(bytes)).toEqual({
      ok: true,
      image: {
        contentType,
        extension,
        width: 64,
        height: 48,
        bytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      },
    });
  });

  it('refuses text as an unsupported media type', async () => {
    expect(await sniffImage(Buffer.from('just some notes, saved as cat.png'))).toMatchObject({
      ok: false,
      reason: 'unsupported_media_type',
    });
  });

  it('refuses real images of other formats (GIF, SVG) as unsupported media types', async () => {
    const gif = await canvas(10, 10).gif().toBuffer();
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>');
    expect(await sniffImage(gif)).toMatchObject({ ok: false, reason: 'unsupported_media_type' });
    expect(await sniffImage(svg)).toMatchObject({ ok: false, reason: 'unsupported_media_type' });
  });

  it('refuses a truncated PNG and JPEG as invalid', async () => {
    const png = await canvas(200, 200).png().toBuffer();
    const jpeg = await canvas(200, 200).jpeg().toBuffer();
    expect(await sniffImage(png.subarray(0, png.length - 40))).toMatchObject({ ok: false, reason: 'invalid_image' });
    expect(await sniffImage(jpeg.subarray(0, jpeg.length / 2))).toMatchObject({ ok: false, reason: 'invalid_image' });
  });

  it('refuses garbage behind a PNG signature, and an empty file, as invalid', async () => {
    const png = await canvas(20, 20).png().toBuffer();
    const garbage = Buffer.concat([png.subarray(0, 8), Buffer.alloc(200, 0x5a)]);
    expect(await sniffImage(garbage)).toMatchObject({ ok: false, reason: 'invalid_image' });
    expect(await sniffImage(Buffer.alloc(0))).toMatchObject({ ok: false, reason: 'invalid_image' });
  });

  it('refuses more pixels than the limit from the header', async () => {
    const bytes = await canvas(100, 100).png().toBuffer();
    const limited = (maxPixels: number) => new ImageDecoder({ ...DEFAULT_DECODE_LIMITS, maxPixels });
    expect(await sniffWith(bytes, limited(9_999))).toMatchObject({ ok: false, reason: 'image_too_large' });
    expect(await sniffWith(bytes, limited(10_000))).toMatchObject({ ok: true });
  });

  it.each([
    ['one side of 39,000,000 gray pixels', () => blackPng(1, 39_000_000, 1), 'side over 16384'],
    ['6300x6300 16-bit RGBA, under 40 megapixels', () => blackPng(6300, 6300, 4, 16), 'decodes to 303 MiB'],
    ['20000x20000', () => blackPng(20_000, 20_000, 3), 'side over 16384'],
  ])('refuses %s as too large from the header, in under a second', async (_, bomb, why) => {
    const bytes = bomb();
    const started = Date.now();
    expect(await sniffImage(bytes)).toMatchObject({ ok: false, reason: 'image_too_large', message: expect.stringContaining(why) });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
