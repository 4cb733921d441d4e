import { createHash } from 'node:crypto';
import { DomainError } from '@darkroom/kernel';

/** The request header, as Stripe and the IETF draft name it. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Set to `true` on a response that repeats the first answer to a key. */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';

/** Visible ASCII without spaces, up to 255 characters: UUIDs, ULIDs, SDK retry keys, hashes. */
const ACCEPTABLE = /^[\x21-\x7e]{1,255}$/;

/**
 * The key from the header value, or undefined when there is none; a key that is empty,
 * too long, sent twice or holds anything but visible ASCII is a 400 `invalid_idempotency_key`.
 */
export function parseIdempotencyKey(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && ACCEPTABLE.test(value)) return value;
  throw new DomainError(
    'invalid_idempotency_key',
    'validation',
    'Idempotency-Key must be 1 to 255 visible ASCII characters without spaces, sent once.',
    { errors: [{ field: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters without spaces' }] },
  );
}

/** JSON with object keys sorted at every level, so key order does not change a fingerprint. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * What "the same request" means for a key: the route and the body as sent (files by their
 * SHA-256). Two bodies that differ only in key order or whitespace are the same request.
 */
export function requestFingerprint(route: string, body: unknown): string {
  return createHash('sha256').update(route).update('\n').update(canonicalJson(body ?? {})).digest('hex');
}
