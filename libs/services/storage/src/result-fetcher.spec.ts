import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeServer } from '@darkroom/fake-providers';
import { MAX_RESULT_BYTES, ResultFetcher } from './result-fetcher';

let server: FakeServer;
let fetcher: ResultFetcher;

beforeAll(async () => {
  server = await new FakeServer()
    .on('GET', /^\/ok$/, (_req, res) => void res.end(Buffer.from('png bytes')))
    .on('GET', /^\/gone$/, (_req, res) => void res.writeHead(410).end())
    .on('GET', /^\/busy$/, (_req, res) => void res.writeHead(503).end())
    .on('GET', /^\/redirect$/, (_req, res) => void res.writeHead(302, { location: '/ok' }).end())
    .on('GET', /^\/huge$/, (_req, res) => {
      // No Content-Length: the cap has to hold while streaming.
      const chunk = Buffer.alloc(1024 * 1024);
      for (let i = 0; i <= MAX_RESULT_BYTES / chunk.length; i++) res.write(chunk);
      res.end();
    })
    .start();
  fetcher = new ResultFetcher(new Set([new URL(server.url).host]));
});
afterAll(async () => {
  await server.stop();
});

describe('result fetcher', () => {
  it('downloads a result from an allowed host', async () => {
    expect(await fetcher.fetch(`${server.url}/ok`)).toEqual({ ok: true, bytes: Buffer.from('png bytes') });
  });

  it('refuses plain http to hosts not configured for it, and other schemes, without connecting', async () => {
    const before = server.requests.length;
    const strict = new ResultFetcher(new Set());
    expect(await strict.fetch(`${server.url}/ok`)).toMatchObject({ ok: false, retryable: false });
    expect(await fetcher.fetch('file:///etc/passwd')).toMatchObject({ ok: false, retryable: false });
    expect(await fetcher.fetch(`http://user:pw@${new URL(server.url).host}/ok`)).toMatchObject({ ok: false, retryable: false });
    expect(await fetcher.fetch('not a url')).toMatchObject({ ok: false, retryable: false });
    expect(server.requests.length).toBe(before);
  });

  it('treats an expired URL as final and a 5xx as worth retrying', async () => {
    expect(await fetcher.fetch(`${server.url}/gone`)).toEqual({ ok: false, retryable: false, reason: 'result URL expired or gone (HTTP 410)' });
    expect(await fetcher.fetch(`${server.url}/busy`)).toMatchObject({ ok: false, retryable: true });
  });

  it('does not follow redirects', async () => {
    expect(await fetcher.fetch(`${server.url}/redirect`)).toMatchObject({ ok: false, retryable: false });
  });

  it('stops reading past the byte cap', async () => {
    expect(await fetcher.fetch(`${server.url}/huge`)).toMatchObject({ ok: false, retryable: false, reason: expect.stringContaining('larger') });
  });
});
