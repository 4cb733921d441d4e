import type { ServerResponse } from 'node:http';
import { crc32 } from 'node:zlib';
import { imageBomb, isBombKind } from '@darkroom/testing';

/**
 * Result bodies a compromised or broken provider could serve, chosen per task with
 * `[fake:sample:<kind>]`:
 * - `html`: an HTML page labelled image/png;
 * - `huge-dims`: a 60-byte PNG whose header declares 30000x30000 pixels (a decompression bomb's first step);
 * - `endless`: image/png with no Content-Length that never ends (until the reader hangs up);
 * - `bomb-<kind>`: one of the decompression bombs of `@darkroom/testing` (`bomb-tall-gray-png`, ...).
 */
export async function serveHostileSample(kind: string, res: ServerResponse): Promise<void> {
  const bomb = kind.replace(/^bomb-/, '');
  if (kind.startsWith('bomb-') && isBombKind(bomb)) {
    const bytes = await imageBomb(bomb);
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': bytes.length });
    return void res.end(bytes);
  }
  switch (kind) {
    case 'html': {
      const html = '<!doctype html><html><body><script>alert(1)</script></body></html>';
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': Buffer.byteLength(html) });
      return void res.end(html);
    }
    case 'huge-dims': {
      const png = pngDeclaring(30_000, 30_000);
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length });
      return void res.end(png);
    }
    case 'endless':
      res.writeHead(200, { 'content-type': 'image/png' });
      return void streamForever(res);
    default:
      res.writeHead(400).end(`unknown sample kind ${kind}`);
  }
}

function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function pngDeclaring(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', Buffer.alloc(0)), chunk('IEND', Buffer.alloc(0))]);
}

function streamForever(res: ServerResponse): void {
  const block = Buffer.alloc(1024 * 1024, 0x42);
  const pump = () => {
    while (!res.destroyed && res.write(block));
    if (!res.destroyed) res.once('drain', pump);
  };
  res.once('close', () => res.removeAllListeners('drain'));
  pump();
}
