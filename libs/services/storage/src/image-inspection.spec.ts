import sharp from 'sharp';
import { inspectImage } from './image-inspection';

const png = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 10, g: 20, b: 30 } } }).png().toBuffer();

describe('inspectImage', () => {
  it('records format, dimensions, size and sha256 of a valid PNG', async () => {
    const bytes = await png(40, 30);
    const result = await inspectImage(bytes);
    expect(result).toMatchObject({ ok: true, contentType: 'image/png', width: 40, height: 30, bytes: bytes.length });
    expect(result.ok && result.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses bytes that are not an image whatever they claim to be', async () => {
    expect(await inspectImage(Buffer.from('<html>not an image</html>'))).toMatchObject({ ok: false });
  });

  it('refuses a truncated PNG', async () => {
    const bytes = await png(200, 200);
    expect(await inspectImage(bytes.subarray(0, bytes.length / 2))).toMatchObject({ ok: false });
  });
});
