import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock, type Clock } from '@darkroom/kernel';
import { addressRefusal } from './address-policy';
import { AddressNotAllowedError, checkedLookup, systemResolve, type Resolve } from './checked-lookup';
import { originOf, rejection, type SafeFetchRejection, type SafeFetchResult } from './safe-fetch.result';
import { checkUrl, normaliseTestHosts, type FetchTarget, type HostPolicy } from './url-policy';

export interface SafeFetcherOptions {
  /** Per provider: hosts its result URLs may come from, exact names or `*.suffix` wildcards. */
  readonly allowedHosts: Readonly<Record<string, readonly string[]>>;
  /**
   * `host:port` pairs of test fakes: fetched over plain http too and exempt from the
   * allowlist and the address check (they listen on loopback). Empty in production.
   */
  readonly testHosts?: readonly string[];
  /** Largest body accepted, counted while streaming (default 50 MiB). */
  readonly maxBytes?: number;
  /** Resolving plus connecting (plus the TLS handshake) of one hop (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** The whole `fetch`, redirects and retries included (default 60 s). */
  readonly totalTimeoutMs?: number;
  /** Redirects followed before `too_many_redirects` (default 3). */
  readonly maxRedirects?: number;
  /** Retries after a transient failure: 5xx, 429, reset or refused connection (default 3). */
  readonly retries?: number;
  /** First back-off delay; doubled each retry, with jitter (default 250 ms). */
  readonly retryDelayMs?: number;
  /** Name resolution; `dns.lookup` with `all: true` unless a test injects one. */
  readonly resolve?: Resolve;
  /** Where the total timeout's deadline is read from (default the system clock). */
  readonly clock?: Clock;
}

export const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const TRANSIENT_STATUS = (status: number) => status >= 500 || status === 429 || status === 408;
/** Network errors that say nothing about the URL itself. */
const TRANSIENT_NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'ERR_STREAM_PREMATURE_CLOSE',
]);
const MAX_RETRY_AFTER_MS = 5_000;

type Hop =
  | { readonly kind: 'done'; readonly result: SafeFetchResult; readonly retryAfterMs?: number }
  | { readonly kind: 'redirect'; readonly location: string };

/**
 * Downloads a provider's result URL without letting that URL reach anything internal
 * (DESIGN §7, decision 0008). Every hop — the first and each of at most `maxRedirects`
 * redirects — is checked by `checkUrl` before any lookup, and the addresses its host
 * resolves to are checked inside the socket's own `lookup`, so what is checked is what is
 * connected to. The body is capped while it streams. Never throws: every outcome is a
 * `SafeFetchResult`.
 */
export class SafeFetcher {
  private readonly policy: HostPolicy;
  private readonly lookup: ReturnType<typeof checkedLookup>;
  private readonly maxBytes: number;
  private readonly connectTimeoutMs: number;
  private readonly totalTimeoutMs: number;
  private readonly maxRedirects: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly clock: Clock;

  constructor(options: SafeFetcherOptions) {
    this.policy = { allowedHosts: options.allowedHosts, testHosts: normaliseTestHosts(options.testHosts ?? []) };
    this.lookup = checkedLookup(options.resolve ?? systemResolve);
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.totalTimeoutMs = options.totalTimeoutMs ?? 60_000;
    this.maxRedirects = options.maxRedirects ?? 3;
    this.retries = options.retries ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 250;
    this.clock = options.clock ?? systemClock;
  }

  /** The bytes behind `url`, which `provider` handed us, or why not. */
  async fetch(url: string, provider: string): Promise<SafeFetchResult> {
    const deadline = this.nowMs() + this.totalTimeoutMs;
    for (let retry = 0; ; retry++) {
      const { result, retryAfterMs } = await this.follow(url, provider, deadline);
      if (result.ok || !worthRetrying(result.error) || retry >= this.retries) return result;
      const backoff = this.retryDelayMs * 2 ** retry * (0.5 + Math.random() / 2);
      const delay = Math.max(backoff, Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
      if (this.nowMs() + delay >= deadline) return result;
      await sleep(delay);
    }
  }

  private nowMs(): number {
    return this.clock.now().getTime();
  }

  /** One attempt: the URL and up to `maxRedirects` redirects, each hop checked like the first. */
  private async follow(url: string, provider: string, deadline: number): Promise<{ result: SafeFetchResult; retryAfterMs?: number }> {
    let current = url;
    for (let redirects = 0; ; redirects++) {
      const target = checkUrl(current, provider, this.policy);
      if ('code' in target) return { result: refused(redirects === 0 ? target : afterRedirects(target, redirects)) };
      const hop = await this.request(target, deadline);
      if (hop.kind === 'done') return hop;
      if (redirects >= this.maxRedirects) {
        return { result: refused(rejection('too_many_redirects', `${originOf(target.url)}: more than ${this.maxRedirects} redirects`)) };
      }
      try {
        current = new URL(hop.location, target.url).href;
      } catch {
        return { result: refused(rejection('invalid_url', `${originOf(target.url)}: redirect to an invalid URL`)) };
      }
    }
  }

  private request(target: FetchTarget, deadline: number): Promise<Hop> {
    const where = originOf(target.url);
    const secure = target.url.protocol === 'https:';
    return new Promise<Hop>((resolve) => {
      const request = (secure ? https : http).request({
        protocol: target.url.protocol,
        hostname: target.hostname,
        port: target.url.port || undefined,
        path: `${target.url.pathname}${target.url.search}`,
        method: 'GET',
        agent: false,
        headers: { accept: 'image/*, */*;q=0.5', 'accept-encoding': 'identity', 'user-agent': 'darkroom-result-fetcher' },
        ...(target.checkAddress ? { lookup: this.lookup } : {}),
      });
      let settled = false;
      let connectTimer: NodeJS.Timeout | undefined;
      const finish = (hop: Hop) => {
        if (settled) return;
        settled = true;
        clearTimeout(totalTimer);
        clearTimeout(connectTimer);
        request.destroy();
        resolve(hop);
      };
      const fail = (error: SafeFetchRejection) => finish({ kind: 'done', result: refused(error) });
      const totalTimer = setTimeout(
        () => fail(rejection('timeout', `${where}: download took longer than ${this.totalTimeoutMs} ms`, true)),
        Math.max(0, deadline - this.nowMs()),
      );

      request.on('socket', (socket: Socket) => {
        connectTimer = setTimeout(
          () => fail(rejection('timeout', `${where}: no connection within ${this.connectTimeoutMs} ms`, true)),
          this.connectTimeoutMs,
        );
        socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
        // The lookup already refused bad addresses; this only guards against a path that skipped it.
        socket.once('connect', () => {
          const refusal = target.checkAddress && socket.remoteAddress ? addressRefusal(socket.remoteAddress) : undefined;
          if (refusal) fail(rejection('address_not_allowed', `${where}: connected to ${socket.remoteAddress}, which is ${refusal}`));
        });
      });
      request.on('error', (error) => fail(networkRejection(where, error)));
      request.on('response', (response) => this.read(response, where, finish));
      request.end();
    });
  }

  /** A redirect to follow, a status to report, or the body read up to the cap. */
  private read(response: http.IncomingMessage, where: string, finish: (hop: Hop) => void): void {
    const fail = (error: SafeFetchRejection, retryAfterMs?: number) =>
      finish(retryAfterMs === undefined ? { kind: 'done', result: refused(error) } : { kind: 'done', result: refused(error), retryAfterMs });
    const status = response.statusCode ?? 0;
    if (REDIRECTS.has(status) && response.headers.location) return finish({ kind: 'redirect', location: response.headers.location });
    if (status !== 200) {
      const retryable = TRANSIENT_STATUS(status);
      return fail(rejection('http_status', `${where}: answered HTTP ${status}`, retryable, status), retryAfter(response.headers['retry-after']));
    }
    // An honest Content-Length over the cap saves reading; a dishonest one changes nothing below.
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.maxBytes) {
      return fail(rejection('too_large', `${where}: declares ${declared} bytes, more than ${this.maxBytes}`));
    }
    const chunks: Buffer[] = [];
    let received = 0;
    response.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > this.maxBytes) fail(rejection('too_large', `${where}: body larger than ${this.maxBytes} bytes`));
      else chunks.push(chunk);
    });
    response.on('end', () => {
      const contentType = response.headers['content-type'];
      const bytes = Buffer.concat(chunks);
      finish({ kind: 'done', result: contentType ? { ok: true, bytes, contentType } : { ok: true, bytes } });
    });
    response.on('error', (error) => fail(networkRejection(where, error)));
    response.on('close', () => {
      if (!response.complete) fail(rejection('network', `${where}: connection closed before the body ended`, true));
    });
  }
}

function refused(error: SafeFetchRejection): SafeFetchResult {
  return { ok: false, error };
}

function afterRedirects(error: SafeFetchRejection, redirects: number): SafeFetchRejection {
  return { ...error, message: `redirect ${redirects} refused: ${error.message}` };
}

function worthRetrying(error: SafeFetchRejection): boolean {
  return error.retryable && (error.code === 'http_status' || error.code === 'network');
}

function networkRejection(where: string, error: Error): SafeFetchRejection {
  if (error instanceof AddressNotAllowedError) return rejection('address_not_allowed', `${where}: ${error.message}`);
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return rejection('network', `${where}: ${code || error.message}`, TRANSIENT_NETWORK.has(code));
}

/** `Retry-After` in milliseconds, when given in seconds (an HTTP date is ignored). */
function retryAfter(header: string | undefined): number | undefined {
  const seconds = Number(header);
  return header && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
