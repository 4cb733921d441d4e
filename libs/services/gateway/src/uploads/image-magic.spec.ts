import { describe, expect, it } from '@jest/globals';
import { looksLikeImage } from './image-magic';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]);
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([1, 2, 3, 4]), Buffer.from('WEBPVP8L')]);

describe('looksLikeImage', () => {
  it('recognises PNG, JPEG and WebP from their first bytes', () => {
    for (const head of [PNG, JPEG, WEBP]) expect(looksLikeImage(head, false)).toBe(true);
  });

  it('refuses text, GIF and other RIFF files at once', () => {
    expect(looksLikeImage(Buffer.from('definitely not pixels\n'), false)).toBe(false);
    expect(looksLikeImage(Buffer.from('GIF89a'), false)).toBe(false);
    expect(looksLikeImage(Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVE')]), false)).toBe(false);
  });

  it('waits for more bytes while a short head could still be an image, and refuses it at the end of the file', () => {
    expect(looksLikeImage(PNG.subarray(0, 5), false)).toBeUndefined();
    expect(looksLikeImage(WEBP.subarray(0, 10), false)).toBeUndefined();
    expect(looksLikeImage(PNG.subarray(0, 5), true)).toBe(false);
    expect(looksLikeImage(Buffer.alloc(0), false)).toBeUndefined();
  });
});
