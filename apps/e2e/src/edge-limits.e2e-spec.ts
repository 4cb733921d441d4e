import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { call } from './support/api';
import { flows, type Account } from './support/flows';
import { rawRequest, type RawAnswer } from './support/raw-http';
import { startSystem, type System } from './support/system';

jest.setTimeout(360_000);

/**
 * Issue 14 at the edge of the distributed gateway: multipart bodies stream (a 323 MB edit
 * request is refused at its cap without the gateway growing), wrong keys are throttled per
 * client address, and no URL is built from the request's Host.
 */
let system: System;
const { createAccount, generate, waitForSettled, upload } = flows(() => system);

beforeAll(async () => {
  // As behind a balancer on this machine: X-Forwarded-For is believed from loopback only.
  system = await startSystem('e2e_edge_limits', { env: { TRUST_PROXY: 'loopback', FAILED_AUTH_PER_MINUTE: '100' } });
});
afterAll(async () => {
  await system?.stop();
});

/** Resident set size of a process in MiB. */
function rssMiB(pid: number | undefined): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1]) / 1024;
}

/** Runs `work` while sampling the process's RSS every 10 ms; resolves with its result and the peak growth in MiB. */
async function peakGrowth<T>(pid: number | undefined, work: () => Promise<T>): Promise<{ result: T; growthMiB: number }> {
  const before = rssMiB(pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 10);
  try {
    const result = await work();
    peak = Math.max(peak, rssMiB(pid));
    return { result, growthMiB: peak - before };
  } finally {
    clearInterval(sampler);
  }
}

const BOUNDARY = 'darkroom-e2e-edge';
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A multipart edit request of `parts` files of `partBytes` each (PNG magic, then zeros), generated as it is sent. */
function* editBody(parts: number, partBytes: number): Generator<Buffer> {
  const zeros = Buffer.alloc(1024 * 1024);
  yield Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nmake it dusk\r\n`);
  yield Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="model"\r\n\r\nlocal\r\n`);
  for (let part = 0; part < parts; part++) {
    yield Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="image[]"; filename="in${part}.png"\r\nContent-Type: image/png\r\n\r\n`);
    yield PNG_MAGIC;
    for (let sent = PNG_MAGIC.length; sent < partBytes; sent += zeros.length) yield zeros.subarray(0, Math.min(zeros.length, partBytes - sent));
    yield Buffer.from('\r\n');
  }
  yield Buffer.from(`--${BOUNDARY}--\r\n`);
}

describe('multipart bodies stream', () => {
  let account: Account;
  beforeAll(async () => {
    account = await createAccount(10);
  });

  it('refuses a 323 MB edit request (17 parts of 19 MB) at its 64 MB cap, growing the gateway by less than 50 MB', async () => {
    const gateway = system.services.get('gateway')!.child.pid;
    const { result: answer, growthMiB } = await peakGrowth(gateway, () =>
      rawRequest(system.gatewayUrl, {
        method: 'POST',
        path: '/v1/images/edits',
        // Chunked, no declared length: the cap is met as the bytes arrive, not read from a header.
        headers: { authorization: `Bearer ${account.key}`, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
        chunks: editBody(17, 19 * 1024 * 1024),
        timeoutMs: 60_000,
      }),
    );
    console.log(`323 MB edit request: ${answer.status} after ${Math.round(answer.ms)} ms, gateway RSS +${growthMiB.toFixed(1)} MiB at peak`);
    expect([answer.status, answer.body.error?.code ?? answer.body.code]).toEqual([413, 'upload_too_large']);
    expect(answer.headers.connection).toBe('close');
    expect(growthMiB).toBeLessThan(50);
  });

  it('refuses a declared 323 MB body from its header, and a file that is not an image without keeping it', async () => {
    const declared = await rawRequest(system.gatewayUrl, {
      method: 'POST',
      path: '/v1/images/edits',
      headers: {
        authorization: `Bearer ${account.key}`,
        'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
        'content-length': String(17 * 19 * 1024 * 1024),
      },
      chunks: editBody(17, 19 * 1024 * 1024),
    });
    expect(declared.status).toBe(413);
    expect(declared.ms).toBeLessThan(2_000);

    const text = Buffer.from('not pixels at all\n'.repeat(1024 * 1024)); // 18 MB of text
    const started = Date.now();
    const refused = await upload(account.key, text, 'cat.png');
    expect([refused.status, refused.body.code]).toEqual([415, 'unsupported_media_type']);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('still takes ordinary uploads afterwards: the refused requests gave their slots back', async () => {
    const uploads = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => upload(account.key, await sharp({ create: { width: 32 + i, height: 32, channels: 3, background: '#345' } }).png().toBuffer())),
    );
    const statuses = uploads.map((response) => response.status);
    // 16 slots per process: any request past them is told to come back, never hung or buffered.
    expect(statuses.every((status) => status === 201 || status === 503)).toBe(true);
    expect(statuses.filter((status) => status === 201).length).toBeGreaterThanOrEqual(16);
    expect((await upload(account.key, await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer())).status).toBe(201);
  });
});

describe('failed authentication is throttled per client address', () => {
  const probe = (localAddress: string, key: string, forwardedFor?: string): Promise<RawAnswer> =>
    rawRequest(system.gatewayUrl, {
      method: 'GET',
      path: '/v1/credits',
      headers: { authorization: `Bearer ${key}`, ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
      localAddress,
    });
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

  it('answers 429 too_many_failed_auth with Retry-After within 200 wrong keys from one address, while a valid key from another works at full speed', async () => {
    const account = await createAccount(0);
    const valid = async () => {
      const timings: number[] = [];
      for (let i = 0; i < 20; i++) {
        const answer = await probe('127.0.0.1', account.key);
        expect(answer.status).toBe(200);
        timings.push(answer.ms);
      }
      return timings;
    };
    const baseline = await valid();

    const started = Date.now();
    const wrong: RawAnswer[] = [];
    for (let i = 0; i < 200; i++) wrong.push(await probe('127.0.0.2', `drk_00000000_wrong-key-${i}-xxxxxxxxxxxxxxxx`));
    const floodMs = Date.now() - started;
    const during = await valid();

    const firstThrottled = wrong.findIndex((answer) => answer.status === 429);
    const throttled = wrong.slice(firstThrottled);
    console.log(
      `200 wrong keys in ${floodMs} ms: ${firstThrottled} x 401, then ${throttled.length} x 429 ` +
        `(median ${median(throttled.map((a) => a.ms)).toFixed(1)} ms vs ${median(wrong.slice(0, firstThrottled).map((a) => a.ms)).toFixed(1)} ms for a 401); ` +
        `valid key from 127.0.0.1: median ${median(baseline).toFixed(1)} ms before, ${median(during).toFixed(1)} ms after`,
    );
    expect(floodMs).toBeLessThan(60_000);
    expect(firstThrottled).toBeGreaterThan(0);
    expect(wrong.slice(0, firstThrottled).every((answer) => answer.status === 401)).toBe(true);
    expect(throttled.every((answer) => answer.status === 429)).toBe(true);
    expect(throttled[0]!.body).toMatchObject({ status: 429, code: 'too_many_failed_auth' });
    expect(Number(throttled[0]!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // A throttled address is refused even with a valid key; another address is not slowed.
    expect((await probe('127.0.0.2', account.key)).status).toBe(429);
    expect(median(during)).toBeLessThan(median(baseline) * 2 + 10);
  });

  it('counts per forwarded client behind a trusted proxy (TRUST_PROXY=loopback)', async () => {
    const account = await createAccount(0);
    const statuses: number[] = [];
    for (let i = 0; i < 101; i++) statuses.push((await probe('127.0.0.3', `drk_00000000_wrong-${i}-xxxxxxxxxxxxxxxxxxxx`, '203.0.113.7')).status);
    expect(statuses.slice(0, 100).every((status) => status === 401)).toBe(true);
    expect(statuses[100]).toBe(429);
    // The same proxy forwarding another client: that client is not throttled.
    expect((await probe('127.0.0.3', account.key, '203.0.113.8')).status).toBe(200);
    expect((await probe('127.0.0.3', account.key, '203.0.113.7')).status).toBe(429);
  });
});

describe('URLs darkroom hands out', () => {
  it('start with PUBLIC_BASE_URL (here its default, http://127.0.0.1:<PORT>), whatever Host the request names', async () => {
    const account = await createAccount(1);
    const created = await generate(account.key, { model: 'local', prompt: 'a harbour at night', size: '64x64' });
    expect(created.status).toBe(202);
    const task = await waitForSettled(account.key, created.body.id);
    expect(task.assets).toHaveLength(1);
    const foreign = await rawRequest(system.gatewayUrl, {
      method: 'GET',
      path: `/v1/generations/${task.id}`,
      headers: { authorization: `Bearer ${account.key}`, host: 'evil.example', 'x-forwarded-host': 'evil.example' },
    });
    expect(foreign.status).toBe(200);
    expect(JSON.stringify(foreign.body)).not.toContain('evil.example');
    expect(foreign.body.assets[0].url).toBe(`${system.gatewayUrl}/v1/assets/${task.assets[0].id}`);
    const listed = await call(system.gatewayUrl, 'GET', '/v1/generations', { key: account.key, headers: { host: 'evil.example' } });
    expect(JSON.stringify(listed.body)).not.toContain('evil.example');
  });
});
