import { budgetRefusal, bytesPerSample, decodedBytes, DEFAULT_DECODE_LIMITS, type ImageHeader } from './decode-budget';

const header = (width: number, height: number, channels = 3, depth = 'uchar', progressive = false): ImageHeader => ({
  width,
  height,
  channels,
  depth,
  progressive,
});
const limits = { maxPixels: 1_000_000, maxDecodedBytes: 3_000_000, maxSide: 2000, maxAspectRatio: 4 };

describe('decodedBytes', () => {
  it('is width × height × channels × bytes per sample', () => {
    expect(decodedBytes(header(100, 50, 3))).toBe(15_000);
    expect(decodedBytes(header(100, 50, 4, 'ushort'))).toBe(40_000);
    expect(decodedBytes(header(100, 50, 1, 'float'))).toBe(20_000);
  });

  it('counts a progressive JPEG at 16 bits a sample, the coefficients it keeps until its last scan', () => {
    expect(decodedBytes(header(100, 50, 3, 'uchar', true))).toBe(30_000);
  });

  it('counts a band format it does not know as the widest', () => {
    expect(bytesPerSample({ depth: 'something-new' })).toBe(16);
  });
});

describe('budgetRefusal', () => {
  it('accepts an image inside every limit, and one exactly at each', () => {
    expect(budgetRefusal(header(1000, 1000), limits)).toBeUndefined();
    expect(budgetRefusal(header(2000, 500), limits)).toBeUndefined();
  });

  it('refuses a side over the limit', () => {
    expect(budgetRefusal(header(2001, 600), limits)).toBe('image of 2001x600 has a side over 2000 pixels');
  });

  it('refuses an aspect ratio over the limit, either way round', () => {
    expect(budgetRefusal(header(1000, 249), limits)).toBe('image of 1000x249 is more than 4 times longer than it is wide');
    expect(budgetRefusal(header(249, 1000), limits)).toContain('more than 4 times');
  });

  it('refuses more pixels than the limit', () => {
    expect(budgetRefusal(header(1001, 1000), limits)).toBe('image of 1001x1000 exceeds the limit of 1000000 pixels');
  });

  it('refuses by decoded bytes what the pixel count lets through', () => {
    expect(budgetRefusal(header(1000, 1000, 4), limits)).toBe(
      'image of 1000x1000 with 4 channel(s) of 1 byte(s) decodes to 4 MiB, over the budget of 3 MiB',
    );
    expect(budgetRefusal(header(1000, 1000, 3, 'ushort'), limits)).toContain('decodes to 6 MiB');
    expect(budgetRefusal(header(1000, 1000, 3, 'uchar', true), limits)).toContain('decodes to 6 MiB');
  });

  describe('by default', () => {
    it.each([
      ['1x39,000,000 gray', header(1, 39_000_000, 1), 'side over 16384'],
      ['6300x6300 16-bit RGBA', header(6300, 6300, 4, 'ushort'), 'decodes to 303 MiB'],
      ['6300x6300 8-bit RGB', header(6300, 6300, 3), 'decodes to 114 MiB'],
      ['6300x6300 progressive JPEG', header(6300, 6300, 3, 'uchar', true), 'decodes to 228 MiB'],
      ['20000x20000', header(20_000, 20_000), 'side over 16384'],
      ['16384x16', header(16_384, 16), 'more than 20 times'],
    ])('refuses %s', (_, bomb, why) => {
      expect(budgetRefusal(bomb, DEFAULT_DECODE_LIMITS)).toContain(why);
    });

    it.each([
      ['4096x4096 RGBA, the local renderer at its largest', header(4096, 4096, 4)],
      ['4096x4096 16-bit RGB', header(4096, 4096, 3, 'ushort')],
      ['a 6000x4000 camera JPEG', header(6000, 4000, 3)],
      ['a 8000x1000 panorama', header(8000, 1000, 3)],
    ])('accepts %s', (_, image) => {
      expect(budgetRefusal(image, DEFAULT_DECODE_LIMITS)).toBeUndefined();
    });
  });
});
