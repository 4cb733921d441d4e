import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The key pair requests must be signed with. */
export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** What of a request its signature covers, as it arrived. */
export interface SignedRequest {
  readonly method: string;
  /** Path and query exactly as sent (`request.url`). */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/** How far a signing time may be from now (S3 allows 15 minutes either way). */
const MAX_SKEW_MS = 15 * 60 * 1000;
const ALGORITHM = 'AWS4-HMAC-SHA256';
const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const hmac = (key: Buffer | string, text: string) => createHmac('sha256', key).update(text).digest();
/** RFC 3986 encoding, as SigV4 canonicalises names and values. */
const encode = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** `20250102T030405Z` → its time, or NaN. */
function amzTime(stamp: string | undefined): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp ?? '');
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : Number.NaN;
}

function queryPairs(query: string): [string, string][] {
  if (query === '') return [];
  return query.split('&').map((pair) => {
    const at = pair.indexOf('=');
    const [name, value] = at < 0 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1)];
    return [decodeURIComponent(name), decodeURIComponent(value)];
  });
}

interface Claimed {
  readonly credential: string;
  readonly signedHeaders: string;
  readonly signature: string;
  readonly amzDate: string;
  /** Query pairs the signature covers (a presigned URL's own signature excluded). */
  readonly query: [string, string][];
  readonly payloadHash: string;
  /** Latest time the signature is good for. */
  readonly validUntil: number;
}

/** What the request claims: from the Authorization header, or a presigned URL's query. */
function claimed(request: SignedRequest, query: [string, string][]): Claimed | string {
  const param = (name: string) => query.find(([key]) => key === name)?.[1];
  const header = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value.join(',') : value;
  };
  const algorithm = param('X-Amz-Algorithm');
  if (algorithm !== undefined) {
    if (header('authorization') !== undefined) return 'two signatures';
    if (algorithm !== ALGORITHM) return `algorithm ${algorithm}`;
    const amzDate = param('X-Amz-Date') ?? '';
    const expires = Number(param('X-Amz-Expires'));
    if (!Number.isInteger(expires) || expires <= 0 || expires > 604_800) return 'bad X-Amz-Expires';
    return {
      credential: param('X-Amz-Credential') ?? '',
      signedHeaders: param('X-Amz-SignedHeaders') ?? '',
      signature: param('X-Amz-Signature') ?? '',
      amzDate,
      query: query.filter(([key]) => key !== 'X-Amz-Signature'),
      payloadHash: header('x-amz-content-sha256') ?? 'UNSIGNED-PAYLOAD',
      validUntil: amzTime(amzDate) + expires * 1000,
    };
  }
  const match = AUTHORIZATION.exec(header('authorization') ?? '');
  if (!match) return 'not signed';
  const amzDate = header('x-amz-date') ?? '';
  const payloadHash = header('x-amz-content-sha256');
  if (payloadHash === undefined) return 'no x-amz-content-sha256';
  const [, credential, signedHeaders, signature] = match;
  return { credential, signedHeaders, signature, amzDate, query, payloadHash, validUntil: amzTime(amzDate) + MAX_SKEW_MS };
}

/**
 * Checks an S3 request's AWS Signature Version 4 (the Authorization header or a presigned
 * URL) against `credentials`. Undefined when it is good, else why not. The payload hash is
 * taken as declared: the signature proves who sent the request, not the body's digest.
 */
export function sigV4Refusal(request: SignedRequest, credentials: SigningCredentials, now: number): string | undefined {
  const at = request.url.indexOf('?');
  const [path, rawQuery] = at < 0 ? [request.url, ''] : [request.url.slice(0, at), request.url.slice(at + 1)];
  let query: [string, string][];
  try {
    query = queryPairs(rawQuery);
  } catch {
    return 'malformed query';
  }
  const claim = claimed(request, query);
  if (typeof claim === 'string') return claim;
  const [accessKeyId, day, region, service, terminator, ...rest] = claim.credential.split('/');
  if (accessKeyId !== credentials.accessKeyId || terminator !== 'aws4_request' || rest.length > 0) return 'unknown credential';
  const signedAt = amzTime(claim.amzDate);
  if (Number.isNaN(signedAt) || !claim.amzDate.startsWith(day ?? '-')) return 'bad date';
  if (signedAt > now + MAX_SKEW_MS || now > claim.validUntil) return 'expired';
  const names = claim.signedHeaders.split(';');
  if (!names.includes('host')) return 'host not signed';
  const canonicalHeaders = names
    .map((name) => {
      const value = request.headers[name];
      const text = Array.isArray(value) ? value.join(',') : (value ?? '');
      return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const canonicalQuery = claim.query
    .map(([key, value]) => [encode(key), encode(value)])
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : x > y ? 1 : 0) : a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const canonicalRequest = [request.method, path, canonicalQuery, canonicalHeaders, claim.signedHeaders, claim.payloadHash].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = [ALGORITHM, claim.amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = [day ?? '', region ?? '', service ?? '', 'aws4_request'].reduce<Buffer>(
    (signing, part) => hmac(signing, part),
    Buffer.from(`AWS4${credentials.secretAccessKey}`),
  );
  const expected = hmac(key, stringToSign);
  const provided = Buffer.from(claim.signature, 'hex');
  return provided.length === expected.length && timingSafeEqual(provided, expected) ? undefined : 'signature does not match';
}
