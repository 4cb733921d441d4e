import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { Body } from './api';

/** An answer read over a raw connection, with the time it took to come. */
export interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Body;
  /** From the request's start to the end of the answer. */
  readonly ms: number;
}

export interface RawRequest {
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  /** The body, chunk by chunk; a generator streams one of any size without holding it. */
  readonly chunks?: Iterable<Buffer>;
  /** Send the body's end (the last chunk, or the full Content-Length); false leaves it open. */
  readonly end?: boolean;
  /** Fails when no answer has come by then. */
  readonly timeoutMs?: number;
  /** Send from this local address (another loopback address is another client). */
  readonly localAddress?: string;
}

/** The same `chunk` over and over, `total` bytes in all, never allocated at once. */
export function* repeated(chunk: Buffer, total = Number.POSITIVE_INFINITY, prefix?: Buffer): Generator<Buffer> {
  let sent = 0;
  if (prefix) {
    sent += prefix.length;
    yield prefix;
  }
  while (sent < total) {
    const piece = total - sent >= chunk.length ? chunk : chunk.subarray(0, total - sent);
    sent += piece.length;
    yield piece;
  }
}

/**
 * A request over `node:http` that stops sending as soon as the answer arrives (fetch would
 * send a whole body first, or fail on the server's early close): what a test of limits on
 * streamed, declared-huge and never-ending bodies needs. Write errors after the answer
 * (the server closed while we were still sending) are expected and ignored.
 */
export function rawRequest(baseUrl: string, options: RawRequest): Promise<RawAnswer> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${baseUrl}${options.path}`, { method: options.method, headers: options.headers, agent: false, localAddress: options.localAddress });
    let answered = false;
    const timer = setTimeout(() => {
      request.destroy();
      reject(new Error(`${options.method} ${options.path}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    request.on('response', (response) => {
      answered = true;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        clearTimeout(timer);
        request.destroy();
        const text = Buffer.concat(chunks).toString('utf8');
        const json = (response.headers['content-type'] ?? '').includes('json') && text.length > 0;
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: json ? JSON.parse(text) : text, ms: performance.now() - started });
      });
    });
    request.on('error', (error) => {
      if (answered) return;
      clearTimeout(timer);
      reject(new Error(`${options.method} ${options.path}: ${error.message} before any answer`));
    });
    void (async () => {
      for (const chunk of options.chunks ?? []) {
        if (answered || request.destroyed) return;
        if (!request.write(chunk)) {
          await new Promise<void>((resume) => {
            const done = () => {
              request.off('drain', done);
              request.off('close', done);
              resume();
            };
            request.on('drain', done);
            request.on('close', done);
          });
        }
      }
      if (options.end !== false && !request.destroyed) request.end();
    })();
  });
}
