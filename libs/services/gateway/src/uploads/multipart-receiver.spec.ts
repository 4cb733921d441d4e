import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { HttpProblem } from '../http/http-problem';
import { receiveMultipart, type MultipartSpec } from './multipart-receiver';

const BOUNDARY = 'darkroom-test-boundary';
const PNG_HEAD = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const spec: MultipartSpec = {
  files: { image: 2 },
  refuse: { mask: () => new HttpProblem(400, 'mask_not_supported', 'no masks') },
  maxFileBytes: 1024,
  maxRequestBytes: 4096,
  maxFields: 4,
};

type Part = { readonly name: string; readonly file?: Buffer; readonly value?: string };

function body(parts: readonly Part[]): Buffer {
  const pieces = parts.map(({ name, file, value }) =>
    Buffer.concat([
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${file ? '; filename="f.png"\r\nContent-Type: image/png' : ''}\r\n\r\n`,
      ),
      file ?? Buffer.from(value ?? ''),
      Buffer.from('\r\n'),
    ]),
  );
  return Buffer.concat([...pieces, Buffer.from(`--${BOUNDARY}--\r\n`)]);
}

/** A request whose body arrives in 256-byte chunks; `sent` says how much of it was taken. */
function request(bytes: Buffer) {
  const stream = new PassThrough({ highWaterMark: 256 });
  const fake = Object.assign(stream, { headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } });
  let sent = 0;
  void (async () => {
    for (let at = 0; at < bytes.length; at += 256) {
      if (!stream.write(bytes.subarray(at, at + 256))) await new Promise((resolve) => stream.once('drain', resolve));
      sent = Math.min(bytes.length, at + 256);
    }
    stream.end();
  })();
  return { request: fake as unknown as IncomingMessage, sent: () => sent };
}

const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (error: HttpProblem) => [error.status, error.code]);

describe('receiveMultipart', () => {
  it('writes each file to a temp file with its size and sha256, keeps the fields, and removes the files on dispose', async () => {
    const first = Buffer.concat([PNG_HEAD, Buffer.alloc(500, 1)]);
    const second = Buffer.concat([PNG_HEAD, Buffer.alloc(10, 2)]);
    const received = await receiveMultipart(
      request(body([{ name: 'prompt', value: 'dusk' }, { name: 'image', file: first }, { name: 'image', file: second }])).request,
      spec,
    );
    expect(received.fields).toEqual({ prompt: 'dusk' });
    expect(received.files['image']?.map((file) => [file.bytes, file.sha256])).toEqual(
      [first, second].map((bytes) => [bytes.length, createHash('sha256').update(bytes).digest('hex')]),
    );
    expect(readFileSync(received.files['image']![0]!.path)).toEqual(first);
    await received.dispose();
    expect(existsSync(received.files['image']![0]!.path)).toBe(false);
  });

  it('refuses a file that is not an image over the cap as too large (413), the size first', async () => {
    const sending = request(body([{ name: 'image', file: Buffer.alloc(64 * 1024, 1) }]));
    expect(await refusal(receiveMultipart(sending.request, { ...spec, maxRequestBytes: 1024 * 1024 }))).toEqual([413, 'upload_too_large']);
  });

  it('refuses a file that is not an image from its first bytes (415)', async () => {
    expect(await refusal(receiveMultipart(request(body([{ name: 'image', file: Buffer.from('just text, not pixels') }])).request, spec))).toEqual([
      415,
      'unsupported_media_type',
    ]);
  });

  it('refuses a file over the cap (413) before the body has all arrived', async () => {
    const sending = request(body([{ name: 'image', file: Buffer.concat([PNG_HEAD, Buffer.alloc(1024 * 1024)]) }]));
    expect(await refusal(receiveMultipart(sending.request, { ...spec, maxRequestBytes: 2 * 1024 * 1024 }))).toEqual([413, 'upload_too_large']);
    // What the parser and the file's streams buffer, never the file.
    expect(sending.sent()).toBeLessThan(256 * 1024);
  });

  it('refuses a body over the request cap (413), reading no further', async () => {
    const image = Buffer.concat([PNG_HEAD, Buffer.alloc(600 * 1024)]);
    const sending = request(body([{ name: 'image', file: image }, { name: 'image', file: image }]));
    const capped = { ...spec, maxFileBytes: 1024 * 1024, maxRequestBytes: 700 * 1024 };
    expect(await refusal(receiveMultipart(sending.request, capped))).toEqual([413, 'upload_too_large']);
    expect(sending.sent()).toBeLessThan(700 * 1024 + 256 * 1024);
  });

  it('refuses a declared length over the request cap from the header, reading nothing', async () => {
    const sending = request(body([{ name: 'image', file: PNG_HEAD }]));
    Object.assign(sending.request.headers, { 'content-length': '5000' });
    expect(await refusal(receiveMultipart(sending.request, spec))).toEqual([413, 'upload_too_large']);
    expect(sending.request.readableFlowing).not.toBe(true);
  });

  it('refuses a refused field, an unexpected file and one file too many', async () => {
    const png = Buffer.concat([PNG_HEAD, Buffer.alloc(8)]);
    expect(await refusal(receiveMultipart(request(body([{ name: 'mask', file: png }])).request, spec))).toEqual([400, 'mask_not_supported']);
    expect(await refusal(receiveMultipart(request(body([{ name: 'other', file: png }])).request, spec))).toEqual([400, 'invalid_request']);
    const three = body([{ name: 'image', file: png }, { name: 'image', file: png }, { name: 'image', file: png }]);
    expect(await refusal(receiveMultipart(request(three).request, spec))).toEqual([413, 'upload_too_large']);
  });

  it('refuses a body that is not multipart after all (400 malformed_request)', async () => {
    const sending = request(Buffer.from('--nope'));
    Object.assign(sending.request, { headers: { 'content-type': 'multipart/form-data' } });
    expect(await refusal(receiveMultipart(sending.request, spec))).toEqual([400, 'malformed_request']);
  });
});
