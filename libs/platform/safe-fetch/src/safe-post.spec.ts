import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestHost, type TestHost } from './loopback.fixtures';
import { retryAfter, SafePoster } from './safe-post';

let host: TestHost;
const received: { method: string; headers: IncomingMessage['headers']; body: string }[] = [];

beforeAll(async () => {
  host = await startTestHost((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ method: request.method ?? '', headers: request.headers, body: Buffer.concat(chunks).toString() });
      const path = request.url ?? '/';
      if (path === '/ok') return void response.writeHead(204).end();
      if (path === '/busy') return void response.writeHead(503, { 'retry-after': '120' }).end('try later');
      if (path === '/moved') return void response.writeHead(302, { location: '/ok' }).end();
      if (path === '/hang') return; // never answers
      response.writeHead(404).end('x'.repeat(5000));
    });
  });
});
afterAll(async () => {
  await host.stop();
});

const poster = (options: ConstructorParameters<typeof SafePoster>[0] = {}) => new SafePoster({ testHosts: [host.host], ...options });

describe('SafePoster', () => {
  it('POSTs the body and headers and reports the status', async () => {
    const result = await poster().post(`${host.url}/ok`, '{"a":1}', { 'content-type': 'application/json', 'webhook-id': 'msg_1' });
    expect(result).toEqual({ ok: true, status: 204, body: '' });
    expect(received.at(-1)).toMatchObject({ method: 'POST', body: '{"a":1}', headers: { 'webhook-id': 'msg_1', 'content-length': '7' } });
  });

  it('reports Retry-After and keeps only the start of the body', async () => {
    expect(await poster().post(`${host.url}/busy`, '{}', {})).toEqual({ ok: true, status: 503, retryAfterMs: 120_000, body: 'try later' });
    const missing = await poster({ keepResponseBytes: 10 }).post(`${host.url}/missing`, '{}', {});
    expect(missing).toEqual({ ok: true, status: 404, body: 'xxxxxxxxxx' });
  });

  it('does not follow redirects', async () => {
    const before = received.length;
    expect(await poster().post(`${host.url}/moved`, '{}', {})).toMatchObject({ ok: true, status: 302 });
    expect(received.length).toBe(before + 1);
  });

  it('times out a receiver that never answers', async () => {
    const result = await poster({ timeoutMs: 300 }).post(`${host.url}/hang`, '{}', {});
    expect(result).toMatchObject({ ok: false, error: { code: 'timeout', retryable: true } });
  });

  it('refuses plain http and loopback for hosts not configured for tests', async () => {
    const before = received.length;
    expect(await new SafePoster().post(`${host.url}/ok`, '{}', {})).toMatchObject({ ok: false, error: { code: 'scheme_not_allowed' } });
    expect(await new SafePoster().post(`https://127.0.0.1:${host.port}/ok`, '{}', {})).toMatchObject({
      ok: false,
      error: { code: 'address_not_allowed' },
    });
    expect(new SafePoster().refusal('https://user:pw@example.com/')).toMatchObject({ code: 'userinfo_not_allowed' });
    expect(new SafePoster().refusal('https://example.com/hook')).toBeUndefined();
    expect(received.length).toBe(before);
  });

  it('checks the resolved address at connect time', async () => {
    const resolve = async () => ['10.1.2.3'];
    const result = await new SafePoster({ resolve }).post('https://hooks.example.com/x', '{}', {});
    expect(result).toMatchObject({ ok: false, error: { code: 'address_not_allowed' } });
  });

  it('reports a refused connection as a retryable network error', async () => {
    const closed = await startTestHost(() => undefined);
    await closed.stop();
    const result = await new SafePoster({ testHosts: [closed.host] }).post(`${closed.url}/`, '{}', {});
    expect(result).toMatchObject({ ok: false, error: { code: 'network', retryable: true } });
  });
});

describe('retryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfter('5', now)).toBe(5000);
    expect(retryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60_000);
    expect(retryAfter('soon', now)).toBeUndefined();
    expect(retryAfter(undefined, now)).toBeUndefined();
  });
});
