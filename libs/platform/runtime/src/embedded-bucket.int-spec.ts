import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { S3ObjectStorage } from '@darkroom/object-storage';
import { startEmbeddedBucket, type EmbeddedBucket } from './embedded-bucket';

jest.setTimeout(30_000);

let directory: string;
let bucket: EmbeddedBucket;
let storage: S3ObjectStorage;
const KEY = 'accounts/a1/uploads/u1.png';
const BYTES = Buffer.from('not really a png');

const storageWith = (credentials: { accessKeyId: string; secretAccessKey: string }) =>
  new S3ObjectStorage({ endpoint: bucket.endpoint, region: 'us-east-1', bucket: 'darkroom', ...credentials, forcePathStyle: true });

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'darkroom-bucket-'));
  bucket = await startEmbeddedBucket(directory);
  storage = storageWith(bucket.credentials);
  await storage.ensureBucket();
  await storage.putObject(KEY, BYTES, { contentType: 'image/png', metadata: {} });
});
afterAll(async () => {
  storage?.destroy();
  await bucket?.close();
  await rm(directory, { recursive: true, force: true });
});

describe('the embedded bucket', () => {
  it('serves requests signed with its key, in the header or as a presigned URL', async () => {
    expect(await storage.getObjectBytes(KEY)).toEqual(BYTES);
    expect(await storage.headObject(KEY)).toBeDefined();
    const presigned = await fetch(await storage.presignGet(KEY, 60));
    expect(presigned.status).toBe(200);
    expect(Buffer.from(await presigned.arrayBuffer())).toEqual(BYTES);
  });

  it('takes a streamed body signed as the SDK streams it', async () => {
    const bytes = Buffer.alloc(3 * 1024 * 1024, 7);
    await storage.putObject('accounts/a1/uploads/big.png', Readable.from([bytes.subarray(0, 1e6), bytes.subarray(1e6)]), {
      contentType: 'image/png',
      contentLength: bytes.length,
    });
    expect((await storage.getObjectBytes('accounts/a1/uploads/big.png')).equals(bytes)).toBe(true);
  });

  it('draws new random credentials at each start', async () => {
    const other = await startEmbeddedBucket(directory);
    try {
      expect(other.credentials.accessKeyId).not.toBe(bucket.credentials.accessKeyId);
      expect(other.credentials.secretAccessKey).not.toBe(bucket.credentials.secretAccessKey);
      expect(bucket.credentials.secretAccessKey.length).toBeGreaterThanOrEqual(40);
    } finally {
      await other.close();
    }
  });

  it('refuses unsigned GET, PUT, DELETE and list with 403 AccessDenied', async () => {
    const url = `${bucket.endpoint}/darkroom/${KEY}`;
    for (const [method, target] of [
      ['GET', url],
      ['PUT', url],
      ['DELETE', url],
      ['GET', `${bucket.endpoint}/darkroom?list-type=2`],
      ['GET', `${bucket.endpoint}/`],
    ] as const) {
      const response = await fetch(target, { method, body: method === 'PUT' ? 'overwritten' : undefined });
      expect({ method, target, status: response.status, body: await response.text() }).toMatchObject({
        status: 403,
        body: expect.stringContaining('<Code>AccessDenied</Code>'),
      });
    }
    expect(await storage.getObjectBytes(KEY)).toEqual(BYTES);
  });

  it("refuses s3rver's well-known key, a wrong secret and a tampered presigned URL", async () => {
    const wellKnown = storageWith({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
    const wrongSecret = storageWith({ accessKeyId: bucket.credentials.accessKeyId, secretAccessKey: 'guess' });
    try {
      await expect(wellKnown.getObjectBytes(KEY)).rejects.toThrow();
      await expect(wrongSecret.deleteObject(KEY)).rejects.toThrow();
    } finally {
      wellKnown.destroy();
      wrongSecret.destroy();
    }
    const presigned = new URL(await storage.presignGet(KEY, 60));
    presigned.pathname = '/darkroom/accounts/a2/uploads/u1.png';
    expect((await fetch(presigned)).status).toBe(403);
    expect(await storage.getObjectBytes(KEY)).toEqual(BYTES);
  });

  it('refuses a presigned URL once it has expired', async () => {
    const url = await storage.presignGet(KEY, 1);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await fetch(url)).status).toBe(403);
  });
});
