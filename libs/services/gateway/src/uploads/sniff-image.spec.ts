import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import sharp from 'sharp';
import { sniffImage } from './sniff-image';

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
    expect(await sniffImage(bytes, 9_999)).toMatchObject({ ok: false, reason: 'image_too_large' });
    expect(await sniffImage(bytes, 10_000)).toMatchObject({ ok: true });
  });

  it('holds uploads to 40 megapixels by default', async () => {
    const bytes = await canvas(8000, 5001).png({ compressionLevel: 1 }).toBuffer();
    expect(await sniffImage(bytes)).toMatchObject({ ok: false, reason: 'image_too_large' });
  });
});
