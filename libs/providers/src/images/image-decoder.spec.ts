import sharp from 'sharp';
import { ImageDecoder } from './image-decoder';

const png = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 20, g: 90, b: 160 } } }).png().toBuffer();

describe('ImageDecoder', () => {
  it('reads the header of an image inside the budget', async () => {
    const read = await new ImageDecoder().readHeader(await png(40, 30));
    expect(read).toMatchObject({ ok: true, meta: { format: 'png', width: 40, height: 30, channels: 3, depth: 'uchar' } });
  });

  it('says an image over the budget is too large, and garbage is not', async () => {
    const decoder = new ImageDecoder({ maxPixels: 1000, maxDecodedBytes: 1e9, maxSide: 1e6, maxAspectRatio: 1e6 });
    expect(await decoder.readHeader(await png(40, 30))).toMatchObject({ ok: false, tooLarge: true });
    expect(await decoder.readHeader(Buffer.from('not an image'))).toMatchObject({ ok: false, tooLarge: false });
  });

  it('verifies that every pixel decodes, and names what does not', async () => {
    const decoder = new ImageDecoder();
    const bytes = await png(200, 200);
    expect(await decoder.verify(bytes)).toBeUndefined();
    expect(await decoder.verify(bytes.subarray(0, bytes.length - 30))).toEqual(expect.any(String));
  });

  it('runs no more decodes at once than its concurrency, the rest in arrival order', async () => {
    const decoder = new ImageDecoder(undefined, 2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const decode = (i: number) =>
      decoder.withSlot(async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        order.push(i);
        running -= 1;
        return i;
      });
    expect(await Promise.all([0, 1, 2, 3, 4, 5].map(decode))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(most).toBe(2);
    expect(order.slice(2)).toEqual([2, 3, 4, 5]);
  });

  it('frees a slot when a decode fails', async () => {
    const decoder = new ImageDecoder(undefined, 1);
    await expect(decoder.withSlot(() => Promise.reject(new Error('corrupt')))).rejects.toThrow('corrupt');
    expect(await decoder.withSlot(() => Promise.resolve('next'))).toBe('next');
  });
});
