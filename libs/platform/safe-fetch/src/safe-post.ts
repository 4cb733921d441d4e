import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import { systemClock, type Clock } from '@darkroom/kernel';
import { addressRefusal } from './address-policy';
import { AddressNotAllowedError, checkedLookup, systemResolve, type Resolve } from './checked-lookup';
import { originOf, rejection, type SafeFetchRejection } from './safe-fetch.result';
import { hostNameRefusal } from './public-host-policy';
import { checkPublicUrl, normaliseTestHosts } from './url-policy';

export interface SafePosterOptions {
  /** `host:port` pairs of test receivers: plain http allowed and exempt from the address check. */
  readonly testHosts?: readonly string[];
  /** The whole request: connect, send, and the response head and body (default 15 s). */
  readonly timeoutMs?: number;
  /** Bytes of the response body kept for the caller's log (default 1 KiB); the rest is drained. */
  readonly keepResponseBytes?: number;
  /** Name resolution; `dns.lookup` unless a test injects one. */
  readonly resolve?: Resolve;
  /** What an HTTP-date `Retry-After` is counted from (default the system clock). */
  readonly clock?: Clock;
  /** How long `hostRefusal` waits for a name to resolve (default 2 s). */
  readonly resolveTimeoutMs?: number;
}

/** What a receiver answered: any status, redirects included (they are never followed). */
export interface SafePostResponse {
  readonly ok: true;
  readonly status: number;
  /** `Retry-After` in milliseconds when given in seconds or as an HTTP date. */
  readonly retryAfterMs?: number;
  /** The start of the response body, as text. */
  readonly body: string;
}

export type SafePostResult = SafePostResponse | { readonly ok: false; readonly error: SafeFetchRejection };

/**
 * POSTs to a URL a customer gave us (an outbound webhook) without letting it reach anything
 * internal: the URL is checked like a result URL minus the host allowlist (https only, no
 * credentials, no private literal address), the resolved address is checked inside the
 * socket's own lookup, redirects are returned as they are and never followed, and the whole
 * exchange has one timeout. Never throws.
 */
export class SafePoster {
  private readonly testHosts: ReadonlySet<string>;
  private readonly lookup: ReturnType<typeof checkedLookup>;
  private readonly timeoutMs: number;
  private readonly keepBytes: number;
  private readonly clock: Clock;
  private readonly resolve: Resolve;
  private readonly resolveTimeoutMs: number;

  constructor(options: SafePosterOptions = {}) {
    this.testHosts = normaliseTestHosts(options.testHosts ?? []);
    this.resolve = options.resolve ?? systemResolve;
    this.resolveTimeoutMs = options.resolveTimeoutMs ?? 2000;
    this.lookup = checkedLookup(this.resolve);
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.keepBytes = options.keepResponseBytes ?? 1024;
    this.clock = options.clock ?? systemClock;
  }

  /** Why `url` would be refused before any connection, or undefined when it may be tried. */
  refusal(url: string): SafeFetchRejection | undefined {
    const target = checkPublicUrl(url, this.testHosts);
    return 'code' in target ? target : undefined;
  }

  /**
   * Beyond `refusal`, why `url` names no public host, for a URL registered now and posted to
   * later: port 0, a name no public host has (`hostNameRefusal`), or a name resolving to an
   * address we never connect to. A name that does not resolve in time is let through: the
   * check inside the socket's lookup still guards every post.
   */
  async hostRefusal(url: string): Promise<SafeFetchRejection | undefined> {
    const target = checkPublicUrl(url, this.testHosts);
    if ('code' in target) return target;
    if (!target.checkAddress) return undefined;
    const where = originOf(target.url);
    if (target.url.port === '0') return rejection('port_not_allowed', `${where}: port 0 is not allowed`);
    const named = hostNameRefusal(target.hostname);
    if (named) return rejection('host_not_allowed', `${where}: ${target.hostname} is ${named}`);
    for (const address of await this.resolved(target.hostname)) {
      const refused = addressRefusal(address);
      if (refused) return rejection('address_not_allowed', `${where}: ${target.hostname} resolves to ${address}, which is ${refused}`);
    }
    return undefined;
  }

  post(url: string, body: string, headers: Readonly<Record<string, string>>): Promise<SafePostResult> {
    const target = checkPublicUrl(url, this.testHosts);
    if ('code' in target) return Promise.resolve({ ok: false, error: target });
    const where = originOf(target.url);
    const secure = target.url.protocol === 'https:';
    return new Promise<SafePostResult>((resolve) => {
      const request = (secure ? https : http).request({
        protocol: target.url.protocol,
        hostname: target.hostname,
        port: target.url.port || undefined,
        path: `${target.url.pathname}${target.url.search}`,
        method: 'POST',
        agent: false,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        ...(target.checkAddress ? { lookup: this.lookup } : {}),
      });
      let settled = false;
      const finish = (result: SafePostResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.destroy();
        resolve(result);
      };
      const fail = (error: SafeFetchRejection) => finish({ ok: false, error });
      const timer = setTimeout(() => fail(rejection('timeout', `${where}: no answer within ${this.timeoutMs} ms`, true)), this.timeoutMs);
      request.on('socket', (socket: Socket) => {
        socket.once('connect', () => {
          const refused = target.checkAddress && socket.remoteAddress ? addressRefusal(socket.remoteAddress) : undefined;
          if (refused) fail(rejection('address_not_allowed', `${where}: connected to ${socket.remoteAddress}, which is ${refused}`));
        });
      });
      request.on('error', (error) => fail(networkRejection(where, error)));
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        response.on('data', (chunk: Buffer) => {
          if (kept < this.keepBytes) chunks.push(chunk.subarray(0, this.keepBytes - kept));
          kept += chunk.length;
        });
        const done = () => {
          const retryAfterMs = retryAfter(response.headers['retry-after'], this.clock.now().getTime());
          const text = Buffer.concat(chunks).toString('utf8');
          finish({ ok: true, status: response.statusCode ?? 0, body: text, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
        };
        response.on('end', done);
        response.on('error', done); // the status arrived; a broken body does not change it
      });
      request.end(body);
    });
  }

  /** The name's addresses, or none when it does not resolve within `resolveTimeoutMs`. */
  private async resolved(hostname: string): Promise<readonly string[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<readonly string[]>((resolve) => (timer = setTimeout(() => resolve([]), this.resolveTimeoutMs)));
    try {
      return await Promise.race([this.resolve(hostname).catch(() => []), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function networkRejection(where: string, error: Error): SafeFetchRejection {
  if (error instanceof AddressNotAllowedError) return rejection('address_not_allowed', `${where}: ${error.message}`);
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return rejection('network', `${where}: ${code || error.message}`, true);
}

/** `Retry-After` as delay seconds or an HTTP date, in milliseconds from now. */
export function retryAfter(header: string | undefined, now: number): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
