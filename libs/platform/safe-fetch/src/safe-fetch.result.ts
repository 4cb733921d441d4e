/** Why a download was refused or failed; stable, so callers and logs can switch on it. */
export type SafeFetchCode =
  /** Not a URL at all (WHATWG parsing failed, e.g. an IPv6 zone id). */
  | 'invalid_url'
  /** Not https, or plain http to a host not configured for tests. */
  | 'scheme_not_allowed'
  /** The host is not on the provider's allowlist. */
  | 'host_not_allowed'
  /** The host is, or resolves to, an address we never connect to (loopback, private, metadata, ...). */
  | 'address_not_allowed'
  /** Port 0, which no server listens on (some stacks connect it to loopback). */
  | 'port_not_allowed'
  /** The URL carries a user name or password. */
  | 'userinfo_not_allowed'
  | 'too_many_redirects'
  /** The body grew past the byte cap (or its Content-Length already said it would). */
  | 'too_large'
  /** Connecting or the whole download took too long. */
  | 'timeout'
  /** The server answered with a status other than 200 or a followable redirect. */
  | 'http_status'
  /** The connection failed (reset, refused, DNS, TLS). */
  | 'network';

export interface SafeFetchRejection {
  readonly code: SafeFetchCode;
  /** True when the same URL may work later (5xx, 429, reset, timeout); policy refusals never are. */
  readonly retryable: boolean;
  /** Human-readable; names the origin only, never the query (signed URLs carry secrets there). */
  readonly message: string;
  /** The HTTP status, for `http_status`. */
  readonly status?: number;
}

export type SafeFetchResult =
  | { readonly ok: true; readonly bytes: Buffer; readonly contentType?: string }
  | { readonly ok: false; readonly error: SafeFetchRejection };

export function rejection(code: SafeFetchCode, message: string, retryable = false, status?: number): SafeFetchRejection {
  return status === undefined ? { code, retryable, message } : { code, retryable, message, status };
}

/** `scheme://host[:port]` of a URL: enough to say where, without path or query. */
export function originOf(url: URL): string {
  return `${url.protocol}//${url.host}`;
}
