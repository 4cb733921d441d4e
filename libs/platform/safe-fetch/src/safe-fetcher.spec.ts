import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startTestHost, type TestHost } from './loopback.fixtures';
import { DEFAULT_MAX_BYTES, SafeFetcher, type SafeFetcherOptions } from './safe-fetcher';

const GIB = 1024 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x41);

let host: TestHost;
/** Per path: how many times it was asked for, so routes can answer differently on a retry. */
const hits = new Map<string, number>();
/** Bytes the server managed to hand to the socket per streaming route, and whether the client hung up. */
const streamed = { bytes: 0, closed: false };

beforeAll(async () => {
  host = await startTestHost((request, response) => {
    const url = new URL(request.url ?? '/', 'http://test');
    const seen = (hits.get(url.pathname) ?? 0) + 1;
    hits.set(url.pathname, seen);
    route(url, seen, response);
  });
});
afterAll(async () => {
  await host.stop();
});
beforeEach(() => {
  hits.clear();
  streamed.bytes = 0;
  streamed.closed = false;
});

function route(url: URL, seen: number, response: ServerResponse): void {
  const n = Number(url.searchParams.get('n') ?? 0);
  switch (url.pathname) {
    case '/ok':
      return void response.writeHead(200, { 'content-type': 'image/png' }).end('png bytes');
    case '/gone':
      return void response.writeHead(410).end();
    case '/missing':
      return void response.writeHead(404).end();
    case '/busy':
      return void response.writeHead(503).end();
    case '/busy-twice':
      return void (seen <= 2 ? response.writeHead(503).end() : response.writeHead(200).end('third time'));
    case '/throttled-once':
      return void (seen === 1 ? response.writeHead(429, { 'retry-after': '0' }).end() : response.writeHead(200).end('after 429'));
    case '/reset-once':
      return void (seen === 1 ? response.socket?.destroy() : response.writeHead(200).end('after reset'));
    case '/chain':
      return void response.writeHead(302, { location: n > 0 ? `/chain?n=${n - 1}` : '/ok' }).end();
    case '/see-other':
      return void response.writeHead(303, { location: `${host.url}/ok` }).end();
    case '/redirect-nowhere':
      return void response.writeHead(302).end();
    case '/endless':
      // 1 GiB, no Content-Length, produced only as fast as the client reads it.
      return stream(response, GIB, {});
    case '/declares-huge':
      return stream(response, GIB, { 'content-length': String(GIB) });
    case '/lying-length':
      return stream(response, GIB, { 'content-length': '1000' });
    case '/short-body':
      response.writeHead(200, { 'content-length': '10000' });
      response.write(Buffer.alloc(5000));
      return void response.socket?.destroy();
    case '/trickle': {
      response.writeHead(200);
      const timer = setInterval(() => response.write('.'), 50);
      response.on('close', () => clearInterval(timer));
      return;
    }
    default:
      return void response.writeHead(404).end();
  }
}

function stream(response: ServerResponse, total: number, headers: Record<string, string>): void {
  const socket = response.socket!;
  socket.on('close', () => (streamed.closed = true));
  socket.on('error', () => undefined);
  // Raw socket writes: the server's own HTTP layer would refuse to send more than a declared length.
  socket.write(`HTTP/1.1 200 OK\r\ncontent-type: image/png\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
  const pump = () => {
    while (streamed.bytes < total && !socket.destroyed) {
      streamed.bytes += CHUNK.length;
      if (!socket.write(CHUNK)) return void socket.once('drain', pump);
    }
  };
  pump();
}

const fetcher = (options: Partial<SafeFetcherOptions> = {}) =>
  new SafeFetcher({ allowedHosts: { replicate: ['replicate.delivery'] }, testHosts: [host.host], retryDelayMs: 5, ...options });

describe('safe fetcher', () => {
  describe('downloads', () => {
    it('returns the bytes and the content type from an allowed host', async () => {
      expect(await fetcher().fetch(`${host.url}/ok`, 'replicate')).toEqual({ ok: true, bytes: Buffer.from('png bytes'), contentType: 'image/png' });
    });

    it('follows up to three redirects, each checked again', async () => {
      expect(await fetcher().fetch(`${host.url}/chain?n=2`, 'replicate')).toMatchObject({ ok: true, bytes: Buffer.from('png bytes') });
      expect(await fetcher().fetch(`${host.url}/see-other`, 'replicate')).toMatchObject({ ok: true });
    });

    it('refuses a fourth redirect', async () => {
      expect(await fetcher().fetch(`${host.url}/chain?n=3`, 'replicate')).toMatchObject({
        ok: false,
        error: { code: 'too_many_redirects', retryable: false },
      });
      expect(hits.get('/chain')).toBe(4);
      expect(hits.get('/ok')).toBeUndefined();
    });

    it('treats a redirect without a Location as a final status', async () => {
      expect(await fetcher().fetch(`${host.url}/redirect-nowhere`, 'replicate')).toMatchObject({
        ok: false,
        error: { code: 'http_status', status: 302, retryable: false },
      });
    });
  });

  describe('before connecting', () => {
    it('refuses plain http to a host not configured for tests, other schemes, userinfo and non-URLs', async () => {
      const before = host.requests.length;
      const strict = fetcher({ testHosts: [] });
      expect(await strict.fetch(`${host.url}/ok`, 'replicate')).toMatchObject({ ok: false, error: { code: 'scheme_not_allowed' } });
      expect(await fetcher().fetch('file:///etc/passwd', 'replicate')).toMatchObject({ ok: false, error: { code: 'scheme_not_allowed' } });
      expect(await fetcher().fetch(`http://user:pw@${host.host}/ok`, 'replicate')).toMatchObject({ ok: false, error: { code: 'userinfo_not_allowed' } });
      expect(await fetcher().fetch('not a url', 'replicate')).toMatchObject({ ok: false, error: { code: 'invalid_url' } });
      expect(host.requests.length).toBe(before);
    });

    it('refuses a host that is on another provider’s list, without resolving it', async () => {
      const asked: string[] = [];
      const resolve = async (name: string) => (asked.push(name), ['127.0.0.1']);
      expect(await fetcher({ resolve }).fetch('https://replicate.delivery/x.png', 'fal')).toMatchObject({
        ok: false,
        error: { code: 'host_not_allowed', retryable: false },
      });
      expect(asked).toEqual([]);
    });

    it('checks the resolved address at connect time: an allowed name that resolves to loopback is refused', async () => {
      const asked: string[] = [];
      const resolve = async (name: string) => (asked.push(name), ['127.0.0.1']);
      const result = await fetcher({ resolve }).fetch(`https://replicate.delivery:${host.port}/ok`, 'replicate');
      expect(result).toMatchObject({ ok: false, error: { code: 'address_not_allowed', retryable: false } });
      expect(asked).toEqual(['replicate.delivery']);
      expect(hits.get('/ok')).toBeUndefined();
    });
  });

  describe('byte cap', () => {
    it('cuts a 1 GB body without Content-Length at the cap', async () => {
      const started = process.memoryUsage().rss;
      const result = await fetcher().fetch(`${host.url}/endless`, 'replicate');
      expect(result).toMatchObject({ ok: false, error: { code: 'too_large', retryable: false } });
      await waitFor(() => streamed.closed);
      // The server could only push what the cap let through, plus socket buffers.
      expect(streamed.bytes).toBeGreaterThan(DEFAULT_MAX_BYTES);
      expect(streamed.bytes).toBeLessThan(DEFAULT_MAX_BYTES + 32 * 1024 * 1024);
      expect(process.memoryUsage().rss - started).toBeLessThan(200 * 1024 * 1024);
    });

    it('refuses a declared Content-Length over the cap before reading the body', async () => {
      const result = await fetcher().fetch(`${host.url}/declares-huge`, 'replicate');
      expect(result).toMatchObject({ ok: false, error: { code: 'too_large' } });
      await waitFor(() => streamed.closed);
      expect(streamed.bytes).toBeLessThan(32 * 1024 * 1024);
    });

    it('is not fooled by a small Content-Length in front of a huge body', async () => {
      const small = fetcher({ maxBytes: 1024 * 1024 });
      const result = await small.fetch(`${host.url}/lying-length`, 'replicate');
      // Node's parser stops at the declared length and chokes on the rest; either way nothing past it is kept.
      if (result.ok) expect(result.bytes.length).toBe(1000);
      else expect(result.error.code).toBe('network');
      await waitFor(() => streamed.closed);
      expect(streamed.bytes).toBeLessThan(32 * 1024 * 1024);
    });

    it('treats a body cut short of its Content-Length as a transient network failure', async () => {
      const result = await fetcher({ retries: 1 }).fetch(`${host.url}/short-body`, 'replicate');
      expect(result).toMatchObject({ ok: false, error: { code: 'network', retryable: true } });
      expect(hits.get('/short-body')).toBe(2);
    });
  });

  describe('timeouts', () => {
    it('gives up on a body that never ends after the total timeout', async () => {
      const started = Date.now();
      const result = await fetcher({ totalTimeoutMs: 400 }).fetch(`${host.url}/trickle`, 'replicate');
      expect(result).toMatchObject({ ok: false, error: { code: 'timeout', retryable: true } });
      expect(Date.now() - started).toBeLessThan(2000);
      expect(hits.get('/trickle')).toBe(1);
    });

    it('gives up when resolving and connecting take longer than the connect timeout', async () => {
      const resolve = () => new Promise<string[]>(() => undefined);
      const result = await fetcher({ resolve, connectTimeoutMs: 200 }).fetch('https://replicate.delivery/x.png', 'replicate');
      expect(result).toMatchObject({ ok: false, error: { code: 'timeout', retryable: true, message: expect.stringContaining('no connection') } });
    });
  });

  describe('retries', () => {
    it('retries a 503 and succeeds when the host recovers', async () => {
      expect(await fetcher().fetch(`${host.url}/busy-twice`, 'replicate')).toMatchObject({ ok: true, bytes: Buffer.from('third time') });
      expect(hits.get('/busy-twice')).toBe(3);
    });

    it('retries a 429 and a reset connection', async () => {
      expect(await fetcher().fetch(`${host.url}/throttled-once`, 'replicate')).toMatchObject({ ok: true, bytes: Buffer.from('after 429') });
      expect(await fetcher().fetch(`${host.url}/reset-once`, 'replicate')).toMatchObject({ ok: true, bytes: Buffer.from('after reset') });
    });

    it('gives up after a bounded number of retries and says the failure is transient', async () => {
      expect(await fetcher({ retries: 3 }).fetch(`${host.url}/busy`, 'replicate')).toMatchObject({
        ok: false,
        error: { code: 'http_status', status: 503, retryable: true },
      });
      expect(hits.get('/busy')).toBe(4);
    });

    it('does not retry a 404 or an expired URL', async () => {
      expect(await fetcher().fetch(`${host.url}/missing`, 'replicate')).toMatchObject({ ok: false, error: { code: 'http_status', status: 404, retryable: false } });
      expect(await fetcher().fetch(`${host.url}/gone`, 'replicate')).toMatchObject({ ok: false, error: { code: 'http_status', status: 410, retryable: false } });
      expect(hits.get('/missing')).toBe(1);
      expect(hits.get('/gone')).toBe(1);
    });

    it('retries a refused connection to a permitted host, then reports it as transient', async () => {
      const closed = await startTestHost(() => undefined);
      await closed.stop();
      const result = await fetcher({ testHosts: [closed.host], retries: 2 }).fetch(`${closed.url}/ok`, 'replicate');
      expect(result).toMatchObject({ ok: false, error: { code: 'network', retryable: true, message: expect.stringContaining('ECONNREFUSED') } });
    });

    it('never retries a rejection', async () => {
      const asked: string[] = [];
      const resolve = async (name: string) => (asked.push(name), ['10.0.0.1']);
      expect(await fetcher({ resolve }).fetch('https://replicate.delivery/x.png', 'replicate')).toMatchObject({
        ok: false,
        error: { code: 'address_not_allowed' },
      });
      expect(asked).toHaveLength(1);
    });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
