import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Body } from './api';

/** Seconds of clock difference a receiver accepts, as Standard Webhooks recommends. */
export const TOLERANCE_SECONDS = 300;

/**
 * Standard Webhooks verification written from the specification, independent of the
 * `standardwebhooks` package darkroom signs with: HMAC-SHA256 over `id.timestamp.body`
 * with the base64-decoded part of `whsec_…`, any `v1,<base64>` entry matching, timestamp
 * within the tolerance. Returns why a request is not authentic, or undefined.
 */
export function verificationProblem(secret: string, headers: IncomingHttpHeaders, body: string, nowSeconds = Date.now() / 1000): string | undefined {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return 'missing headers';
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > TOLERANCE_SECONDS) return 'timestamp outside tolerance';
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  const matches = signatures.split(' ').some((entry) => {
    const [version, signature] = entry.split(',');
    if (version !== 'v1' || !signature) return false;
    const given = Buffer.from(signature, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return matches ? undefined : 'no matching signature';
}

export interface Received {
  readonly path: string;
  readonly id: string;
  readonly body: string;
  readonly payload: Body;
  /** Why verification failed; undefined for an authentic request. */
  readonly problem: string | undefined;
  /** What the receiver answered. */
  readonly answered: number;
}

/** An API consumer's webhook receiver on loopback: verifies every request, answers as told per path. */
export class Receiver {
  readonly received: Received[] = [];
  /** Secret per path, set once the endpoint is registered. */
  readonly secrets = new Map<string, string>();
  /** Status to answer per path (default 200). */
  readonly answers = new Map<string, number>();
  private server?: Server;

  constructor(readonly port: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = request.url ?? '/';
        const body = Buffer.concat(chunks).toString('utf8');
        const secret = this.secrets.get(path);
        const problem = secret ? verificationProblem(secret, request.headers, body) : 'unknown path';
        const answered = problem ? 401 : (this.answers.get(path) ?? 200);
        let payload: Body;
        try {
          payload = JSON.parse(body);
        } catch {
          payload = undefined;
        }
        this.received.push({ path, id: String(request.headers['webhook-id']), body, payload, problem, answered });
        response.writeHead(answered, answered === 503 ? { 'retry-after': '1' } : {}).end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  at(path: string): Received[] {
    return this.received.filter((request) => request.path === path);
  }
}
