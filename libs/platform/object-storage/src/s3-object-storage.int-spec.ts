import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { startS3rver, s3TestConfig, uniqueName, type RunningS3rver } from '@darkroom/testing';
import { ObjectNotFound } from './object-storage';
import { S3ObjectStorage } from './s3-object-storage';

jest.setTimeout(30_000);

let s3: RunningS3rver;
let storage: S3ObjectStorage;

beforeAll(async () => {
  s3 = await startS3rver();
  storage = new S3ObjectStorage(s3TestConfig(s3.endpoint, uniqueName('darkroom').replace(/_/g, '-')));
  await storage.ensureBucket();
});
afterAll(async () => {
  storage?.destroy();
  await s3?.close();
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const key = () => `accounts/a1/generations/${randomBytes(6).toString('hex')}/0.png`;
/** A stream that yields `bytes` in uneven chunks, like a download would. */
const chunked = (bytes: Buffer) =>
  Readable.from(
    (function* () {
      for (let at = 0; at < bytes.length; at += 7919) yield bytes.subarray(at, at + 7919);
    })(),
  );

describe('S3ObjectStorage against s3rver', () => {
  it('round-trips a Buffer body with content type and metadata', async () => {
    const bytes = randomBytes(100_000);
    const k = key();
    const put = await storage.putObject(k, bytes, {
      contentType: 'image/png',
      metadata: { sha256: sha256(bytes), 'task-id': 't-1' },
    });
    expect(put.etag).toMatch(/^[0-9a-f]{32}$/);

    const got = await storage.getObject(k);
    expect(got).toMatchObject({
      contentType: 'image/png',
      contentLength: bytes.length,
      metadata: { sha256: sha256(bytes), 'task-id': 't-1' },
      etag: put.etag,
    });
    got.body.destroy();
    expect(sha256(await storage.getObjectBytes(k))).toBe(sha256(bytes));
  });

  it('stores exactly the bytes of a stream body of unknown length', async () => {
    const bytes = randomBytes(250_000);
    const k = key();
    await storage.putObject(k, chunked(bytes), { contentType: 'image/webp' });
    const stored = await storage.getObjectBytes(k);
    expect(stored.length).toBe(bytes.length);
    expect(sha256(stored)).toBe(sha256(bytes));
  });

  it('stores exactly the bytes of a stream body of known length', async () => {
    const bytes = randomBytes(250_000);
    const k = key();
    await storage.putObject(k, chunked(bytes), { contentType: 'image/jpeg', contentLength: bytes.length });
    expect(sha256(await storage.getObjectBytes(k))).toBe(sha256(bytes));
    expect(await storage.headObject(k)).toMatchObject({ contentType: 'image/jpeg', contentLength: bytes.length });
  });

  it('streams the body of getObject', async () => {
    const bytes = randomBytes(64_000);
    const k = key();
    await storage.putObject(k, bytes, { contentType: 'application/octet-stream' });
    const { body } = await storage.getObject(k);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(bytes));
  });

  it('deletes an object, and deleting a missing key is not an error', async () => {
    const k = key();
    await storage.putObject(k, Buffer.from('x'), { contentType: 'text/plain' });
    await storage.deleteObject(k);
    expect(await storage.headObject(k)).toBeUndefined();
    await expect(storage.deleteObject(k)).resolves.toBeUndefined();
  });

  it('throws ObjectNotFound for a missing key and heads it as undefined', async () => {
    const k = key();
    await expect(storage.getObject(k)).rejects.toBeInstanceOf(ObjectNotFound);
    await expect(storage.getObjectBytes(k)).rejects.toMatchObject({ code: 'object_not_found', key: k });
    expect(await storage.headObject(k)).toBeUndefined();
  });

  it('presigns a GET that serves the exact bytes without credentials', async () => {
    const bytes = randomBytes(80_000);
    const k = key();
    await storage.putObject(k, bytes, { contentType: 'image/png' });
    const url = await storage.presignGet(k, 60);
    expect(url).toContain('X-Amz-Signature=');
    expect(url).toContain('X-Amz-Expires=60');

    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(sha256(bytes));
  });

  it('presigns a GET that stops working once it expires', async () => {
    const k = key();
    await storage.putObject(k, Buffer.from('short-lived'), { contentType: 'text/plain' });
    const url = await storage.presignGet(k, 1);
    expect((await fetch(url)).status).toBe(200);
    // X-Amz-Date has second resolution: wait past the whole second after expiry.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('Request has expired');
  });

  it('ensureBucket is idempotent and keeps existing objects', async () => {
    const k = key();
    await storage.putObject(k, Buffer.from('kept'), { contentType: 'text/plain' });
    await storage.ensureBucket();
    await storage.ensureBucket();
    expect((await storage.getObjectBytes(k)).toString()).toBe('kept');
  });

  it('creates a missing bucket', async () => {
    const other = new S3ObjectStorage(s3TestConfig(s3.endpoint, uniqueName('fresh').replace(/_/g, '-')));
    try {
      // A missing bucket is a configuration fault, not a missing object.
      await expect(other.getObject('nothing')).rejects.toMatchObject({ name: 'NoSuchBucket' });
      await other.ensureBucket();
      await other.ensureBucket();
      await other.putObject('k', Buffer.from('v'), { contentType: 'text/plain' });
      expect((await other.getObjectBytes('k')).toString()).toBe('v');
    } finally {
      other.destroy();
    }
  });

  it('lets instances booting together all create the same bucket (the loser of the race sees it exists)', async () => {
    const bucket = uniqueName('raced').replace(/_/g, '-');
    const instances = Array.from({ length: 4 }, () => new S3ObjectStorage(s3TestConfig(s3.endpoint, bucket)));
    try {
      await Promise.all(instances.map((instance) => instance.ensureBucket()));
      await instances[0].putObject('k', Buffer.from('v'), { contentType: 'text/plain' });
      expect((await instances[3].getObjectBytes('k')).toString()).toBe('v');
    } finally {
      for (const instance of instances) instance.destroy();
    }
  });
});
