import { isIP } from 'node:net';
import { addressRefusal } from './address-policy';

/**
 * Names under these never belong to a public host: special-use and never-delegated names
 * (RFC 6761, 6762, 8375 and reverse-lookup names under `arpa`; cloud metadata such as `metadata.google.internal`) and wildcard
 * DNS services that answer with whatever address the name spells (`10.0.0.1.nip.io`).
 */
export const INTERNAL_NAME_SUFFIXES: readonly string[] = [
  'localhost',
  'localdomain',
  'local',
  'internal',
  'intranet',
  'lan',
  'arpa',
  'nip.io',
  'sslip.io',
  'xip.io',
  'localtest.me',
  'lvh.me',
];

/**
 * Why a host name (as WHATWG URL leaves it: lower-case, IPv6 without brackets) names no
 * public host, or undefined when only resolving it can tell. A trailing dot changes nothing.
 */
export function hostNameRefusal(hostname: string): string | undefined {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (isIP(name) !== 0) return addressRefusal(name);
  const suffix = INTERNAL_NAME_SUFFIXES.find((entry) => name === entry || name.endsWith(`.${entry}`));
  if (suffix) return `a name under ${suffix}, which is never a public host`;
  // A single label resolves only through a local search domain (`metadata`, `intranet`).
  if (!name.includes('.')) return 'a single-label name, which is never a public host';
  return undefined;
}
