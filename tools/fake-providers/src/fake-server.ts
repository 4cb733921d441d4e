import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';

/** One request a fake received, for assertions. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
  readonly at: number;
}

export interface FakeRequest extends RecordedRequest {
  readonly path: string;
  readonly query: URLSearchParams;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json<T = unknown>(): T | undefined;
}

export type FakeRoute = (request: FakeRequest, response: ServerResponse) => Promise<void> | void;

/**
 * A loopback HTTP server a provider fake builds on: a route table matched by method and a
 * path regex, every request recorded, and a way to stop it that closes open sockets.
 */
export class FakeServer {
  readonly requests: RecordedRequest[] = [];
  private readonly routes: { method: string; pattern: RegExp; route: FakeRoute }[] = [];
  private server?: Server;
  private baseUrl?: string;

  /** `pattern` is matched against the path (no query); capture groups are for the route to read. */
  on(method: string, pattern: RegExp, route: FakeRoute): this {
    this.routes.push({ method, pattern, route });
    return this;
  }

  get url(): string {
    if (!this.baseUrl) throw new Error('The fake server is not started');
    return this.baseUrl;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.dispatch(req, res));
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Requests whose method and path match, in arrival order. */
  received(method: string, pattern: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && pattern.test(r.url.split('?')[0]));
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const parsed = new URL(req.url ?? '/', 'http://fake');
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      body: Buffer.concat(chunks),
      at: Date.now(),
    };
    this.requests.push(recorded);
    const request: FakeRequest = {
      ...recorded,
      path: parsed.pathname,
      query: parsed.searchParams,
      json: <T>() => {
        try {
          return JSON.parse(recorded.body.toString('utf8')) as T;
        } catch {
          return undefined;
        }
      },
    };
    const match = this.routes.find((r) => r.method === request.method && r.pattern.test(request.path));
    try {
      if (!match) return sendJson(res, 404, { detail: `No route ${request.method} ${request.path}` });
      await match.route(request, res);
    } catch (error) {
      if (!res.headersSent) sendJson(res, 500, { detail: `fake failed: ${(error as Error).message}` });
      else res.destroy();
    }
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Counts jobs a provider is working on and remembers the most ever at once. */
export class ConcurrencyMeter {
  private current = 0;
  peak = 0;

  enter(): void {
    this.current += 1;
    this.peak = Math.max(this.peak, this.current);
  }

  leave(): void {
    this.current = Math.max(0, this.current - 1);
  }

  get active(): number {
    return this.current;
  }
}

const pngCache = new Map<string, Buffer>();

/**
 * A small, valid PNG of one colour derived from `seed`, so fakes return real images that
 * storage can validate and tests can compare byte for byte.
 */
export async function fakePng(seed: string, width = 64, height = 64): Promise<Buffer> {
  const key = `${seed}:${width}x${height}`;
  const cached = pngCache.get(key);
  if (cached) return cached;
  let hash = 0;
  for (const char of seed) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  const png = await sharp({
    create: { width, height, channels: 3, background: { r: hash & 255, g: (hash >> 8) & 255, b: (hash >> 16) & 255 } },
  })
    .png()
    .toBuffer();
  pngCache.set(key, png);
  return png;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Per-request behaviour scripted in the prompt as `[fake:<name>]` or `[fake:<name>:<value>]`
 * (e.g. "a cat [fake:429x2] [fake:latency:2000]"), so a test that drives requests through
 * darkroom's API can steer each one. Returns name → value ('' when the directive has none).
 */
export function promptDirectives(prompt: string | undefined): ReadonlyMap<string, string> {
  const found = new Map<string, string>();
  for (const match of (prompt ?? '').matchAll(/\[fake:([a-z0-9-]+)(?::([^\]]*))?\]/g)) found.set(match[1], match[2] ?? '');
  return found;
}

/**
 * N from a `[fake:<status>x<N>]` directive (its whole text is the name), else 0. With a
 * `scope`, `[fake:<scope>:<status>x<N>]` counts too and only this fake reads it — so a test
 * can fail one provider and not the fallback that gets the same prompt.
 */
export function times(directives: ReadonlyMap<string, string>, status: number, scope?: string): number {
  const pattern = new RegExp(`^${status}x(\\d+)$`);
  const scoped = scope === undefined ? undefined : pattern.exec(directives.get(scope) ?? '');
  if (scoped) return Number(scoped[1]);
  for (const name of directives.keys()) {
    const match = pattern.exec(name);
    if (match) return Number(match[1]);
  }
  return 0;
}

/** Counts how often each key was seen, e.g. to fail only the first N submits of one prompt. */
export class Occurrences {
  private readonly seen = new Map<string, number>();

  /** 1 on the first call for `key`, 2 on the second, ... */
  next(key: string): number {
    const count = (this.seen.get(key) ?? 0) + 1;
    this.seen.set(key, count);
    return count;
  }
}
