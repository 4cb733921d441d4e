import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { call, eventually } from './support/api';
import { downloadAsset } from './support/flows';
import { rawRequest, repeated } from './support/raw-http';
import { startEmbedded, type Embedded } from './support/embedded';

jest.setTimeout(360_000);

let dataDir: string;
let app: Embedded | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'darkroom-embedded-'));
});
afterAll(async () => {
  await app?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('embedded single process (npm start)', () => {
  let taskId: string;
  let asset: { id: string; sha256: string };

  it('prints a ready-to-paste curl line with its URL and dev key', async () => {
    // Opted in to redirects (the default is proxy): the walk-through below checks the bucket's presigned URLs.
    app = await startEmbedded(dataDir, { env: { ASSET_DELIVERY: 'redirect' } });
    expect(app.output()).toContain(`curl -s -X POST ${app.url}/v1/generations`);
    expect(app.output()).toContain(`Authorization: Bearer ${app.apiKey}`);
  });

  it('reads bodies at its edge as the gateway does: no deep nesting, no NUL, a declared 100 MB refused at once', async () => {
    const embedded = app!;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${embedded.apiKey}` };
    const deep = await rawRequest(embedded.url, {
      method: 'POST',
      path: '/v1/generations',
      headers,
      chunks: [Buffer.from('['.repeat(10_000) + ']'.repeat(10_000))],
    });
    expect([deep.status, deep.body.code]).toEqual([400, 'body_too_complex']);
    expect(deep.headers['x-powered-by']).toBeUndefined();
    const huge = await rawRequest(embedded.url, {
      method: 'POST',
      path: '/v1/generations',
      headers: { ...headers, 'content-length': String(100_000_000) },
      chunks: repeated(Buffer.alloc(64 * 1024, 0x20), 100_000_000),
    });
    expect([huge.status, huge.body.code, huge.headers.connection]).toEqual([413, 'payload_too_large', 'close']);
    expect(huge.ms).toBeLessThan(5_000);
    const nul = await call(embedded.url, 'POST', '/v1/generations', { key: embedded.apiKey, body: { model: 'local', prompt: 'a\u0000b' } });
    expect([nul.status, nul.body.code, nul.body.errors?.[0]?.field]).toEqual([400, 'invalid_request', 'prompt']);
  });

  it('runs the README walk-through to a stored PNG of the requested size, charging once', async () => {
    const embedded = app!;
    const created = await call(embedded.url, 'POST', '/v1/generations', {
      key: embedded.apiKey,
      body: { model: 'local', prompt: 'a lighthouse at dusk', size: '640x480', seed: 42 },
    });
    expect(created.status).toBe(202);
    expect(created.body.status).toBe('created');
    taskId = created.body.id;

    const task = await eventually(async () => {
      const current = await call(embedded.url, 'GET', `/v1/generations/${taskId}`, { key: embedded.apiKey });
      return current.body.status === 'completed' && current.body.credits.state === 'captured' ? current.body : undefined;
    }, 60_000, 'completion');
    expect(task.assets).toHaveLength(1);
    asset = task.assets[0];

    // The bucket is s3rver on loopback: its presigned URLs work from this machine.
    const image = await downloadAsset(embedded.url, embedded.apiKey, asset.id);
    expect(new URL(image.location).hostname).toBe('127.0.0.1');
    expect(image.location).toContain('X-Amz-Signature=');
    expect(image.status).toBe(200);
    const meta = await sharp(image.bytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 640, 480]);
    expect(sha256(image.bytes)).toBe(asset.sha256);

    const credits = await eventually(async () => {
      const balance = await call(embedded.url, 'GET', '/v1/credits', { key: embedded.apiKey });
      return balance.body.captured === 1 ? balance.body : undefined;
    }, 30_000, 'balance');
    expect(credits).toMatchObject({ granted: 100, captured: 1, reserved: 0, available: 99 });
  });

  it('keeps tasks and credits across a restart on the same data folder, without granting again', async () => {
    await app!.stop();
    // Restarted with the opt-in for browsers that cannot reach the bucket: the gateway streams the bytes.
    app = await startEmbedded(dataDir, { env: { ASSET_DELIVERY: 'proxy' } });
    const task = await call(app.url, 'GET', `/v1/generations/${taskId}`, { key: app.apiKey });
    expect(task.body).toMatchObject({ id: taskId, status: 'completed' });
    const balance = await eventually(async () => {
      const current = await call(app!.url, 'GET', '/v1/credits', { key: app!.apiKey });
      return current.status === 200 ? current.body : undefined;
    }, 30_000, 'balance');
    expect(balance).toMatchObject({ granted: 100, available: 99 });

    const image = await call(app.url, 'GET', `/v1/assets/${asset.id}`, { key: app.apiKey });
    expect(image.status).toBe(200);
    expect(image.headers.get('location')).toBeNull();
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(image.headers.get('etag')).toBe(`"${asset.sha256}"`);
    expect(sha256(image.bytes)).toBe(asset.sha256);
  });

  it('redirects to the stable CDN URL when ASSET_PUBLIC_BASE_URL is set, cacheable by anyone', async () => {
    await app!.stop();
    app = await startEmbedded(dataDir, { env: { ASSET_PUBLIC_BASE_URL: 'https://cdn.example.test/darkroom/' } });
    const redirect = await call(app.url, 'GET', `/v1/assets/${asset.id}`, { key: app.apiKey });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toMatch(
      new RegExp(`^https://cdn\\.example\\.test/darkroom/accounts/[0-9a-f-]{36}/generations/${taskId}/0\\.png$`),
    );
    expect(redirect.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(redirect.headers.get('vary')).toContain('Authorization');
    expect(redirect.headers.get('etag')).toBe(`"${asset.sha256}"`);
    const again = await call(app.url, 'GET', `/v1/assets/${asset.id}`, { key: app.apiKey });
    expect(again.headers.get('location')).toBe(redirect.headers.get('location'));
  });
});
