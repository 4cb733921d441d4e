import { isIP } from 'node:net';
import { addressRefusal } from './address-policy';
import { originOf, rejection, type SafeFetchRejection } from './safe-fetch.result';

/** Where one hop may go, as `checkUrl` decided. */
export interface FetchTarget {
  readonly url: URL;
  /** Host name or address as the socket wants it (IPv6 without brackets). */
  readonly hostname: string;
  /** False only for configured test hosts: their connections skip the resolved-address check. */
  readonly checkAddress: boolean;
}

export interface HostPolicy {
  /** Per provider: exact host names and `*.suffix` wildcards (any subdomain, not the suffix itself). */
  readonly allowedHosts: Readonly<Record<string, readonly string[]>>;
  /** `host:port` pairs, normalised by `normaliseTestHosts`. */
  readonly testHosts: ReadonlySet<string>;
}

/**
 * Everything about a URL that can be decided before any DNS lookup or connection, in
 * order: it parses (WHATWG, so every IPv4 spelling — decimal, octal, hex, short — becomes
 * dotted decimal), the scheme is https (or http to a test host), there is no userinfo, a
 * literal address is a public one, and the host is on the provider's allowlist. A test
 * host passes on its `host:port` alone. Redirect targets go through the same function.
 */
export function checkUrl(raw: string, provider: string, policy: HostPolicy): FetchTarget | SafeFetchRejection {
  return checkTarget(raw, policy.testHosts, (hostname) => hostAllowed(hostname, policy.allowedHosts[provider] ?? []), provider);
}

/**
 * `checkUrl` for a URL a customer gave us (an outbound webhook endpoint): any public host
 * name is allowed, so the address check at connect time is what keeps it out of the network.
 */
export function checkPublicUrl(raw: string, testHosts: ReadonlySet<string>): FetchTarget | SafeFetchRejection {
  return checkTarget(raw, testHosts, () => true, '');
}

function checkTarget(
  raw: string,
  testHosts: ReadonlySet<string>,
  allowed: (hostname: string) => boolean,
  provider: string,
): FetchTarget | SafeFetchRejection {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return rejection('invalid_url', 'result URL is not a valid URL');
  }
  const where = originOf(url);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return rejection('scheme_not_allowed', `scheme ${url.protocol} is not allowed`);
  }
  if (url.username || url.password) return rejection('userinfo_not_allowed', `${where}: URLs with credentials are not fetched`);
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (testHosts.has(hostKey(url))) return { url, hostname, checkAddress: false };
  if (url.protocol !== 'https:') return rejection('scheme_not_allowed', `${where}: plain http is only allowed for test hosts`);
  if (isIP(hostname) !== 0) {
    const refusal = addressRefusal(hostname);
    if (refusal) return rejection('address_not_allowed', `${where}: address ${hostname} is ${refusal}`);
  }
  if (!allowed(hostname)) {
    return rejection('host_not_allowed', `${where}: host is not on the ${provider} result allowlist`);
  }
  return { url, hostname, checkAddress: true };
}

/** True when `hostname` (lower-case, as WHATWG URL leaves it) matches an entry. */
export function hostAllowed(hostname: string, patterns: readonly string[]): boolean {
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  return patterns.some((pattern) => {
    const entry = pattern.toLowerCase();
    return entry.startsWith('*.') ? name.endsWith(entry.slice(1)) : name === entry;
  });
}

/** `host:port` entries as `hostKey` spells them (lower-case, IPv6 bracketed, port always present). */
export function normaliseTestHosts(entries: readonly string[]): ReadonlySet<string> {
  return new Set(entries.map((entry) => hostKey(new URL(`http://${entry.trim()}`))));
}

function hostKey(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}
