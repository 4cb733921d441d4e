import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';

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
/** A presigned URL may live at most a week, as in S3. */
const MAX_EXPIRES_S = 604_800;
const ALGORITHM = 'AWS4-HMAC-SHA256';
const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/;
const PAYLOAD_HASH = 'x-amz-content-sha256';

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

/** Query pairs as the signer takes them: one entry per name, repeated names as a list. */
function queryRecord(pairs: readonly [string, string][]): Record<string, string | string[]> {
  const byName = new Map<string, string[]>();
  for (const [name, value] of pairs) byName.set(name, [...(byName.get(name) ?? []), value]);
  // fromEntries defines own properties, so a `__proto__` parameter stays a parameter.
  return Object.fromEntries([...byName].map(([name, values]) => [name, values.length === 1 ? values[0]! : values]));
}

interface Claimed {
  readonly presigned: boolean;
  readonly credential: string;
  readonly signedHeaders: string;
  readonly signature: string;
  readonly amzDate: string;
  readonly payloadHash: string;
  /** Seconds a presigned URL is good for; header signatures are good within the clock skew. */
  readonly expiresIn: number;
}

/** What the request claims: from the Authorization header, or a presigned URL's query. */
function claimed(request: SignedRequest, query: readonly [string, string][]): Claimed | string {
  const param = (name: string) => query.find(([key]) => key === name)?.[1];
  const header = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value.join(',') : value;
  };
  const algorithm = param('X-Amz-Algorithm');
  if (algorithm !== undefined) {
    if (header('authorization') !== undefined) return 'two signatures';
    if (algorithm !== ALGORITHM) return `algorithm ${algorithm}`;
    const expiresIn = Number(param('X-Amz-Expires'));
    if (!Number.isInteger(expiresIn) || expiresIn <= 0 || expiresIn > MAX_EXPIRES_S) return 'bad X-Amz-Expires';
    return {
      presigned: true,
      credential: param('X-Amz-Credential') ?? '',
      signedHeaders: param('X-Amz-SignedHeaders') ?? '',
      signature: param('X-Amz-Signature') ?? '',
      amzDate: param('X-Amz-Date') ?? '',
      payloadHash: param('X-Amz-Content-Sha256') ?? header(PAYLOAD_HASH) ?? 'UNSIGNED-PAYLOAD',
      expiresIn,
    };
  }
  const match = AUTHORIZATION.exec(header('authorization') ?? '');
  if (!match) return 'not signed';
  const payloadHash = header(PAYLOAD_HASH);
  if (payloadHash === undefined) return 'no x-amz-content-sha256';
  const [, credential, signedHeaders, signature] = match;
  return { presigned: false, credential, signedHeaders, signature, amzDate: header('x-amz-date') ?? '', payloadHash, expiresIn: 0 };
}

/** The signature `signer` gives the request's signed parts, with the signed-header list it computed. */
async function resign(
  signer: SignatureV4,
  claim: Claimed,
  request: { method: string; path: string; query: Record<string, string | string[]>; headers: Record<string, string> },
  options: { signingDate: Date; signingRegion: string; signingService: string },
): Promise<{ signature: string; signedHeaders: string }> {
  const names = new Set(Object.keys(request.headers));
  // The payload hash is taken as declared (it proves nothing about the body), and counts as
  // a signed header only when the sender signed it.
  const headers = { ...request.headers, [PAYLOAD_HASH]: claim.payloadHash };
  const unsignableHeaders = names.has(PAYLOAD_HASH) ? undefined : new Set([PAYLOAD_HASH]);
  const httpRequest = { ...request, headers, protocol: 'http:', hostname: request.headers['host'] ?? '' };
  if (claim.presigned) {
    // The query already holds what was hoisted into it at signing: hoist nothing again.
    const signed = await signer.presign(httpRequest, {
      ...options,
      expiresIn: claim.expiresIn,
      signableHeaders: names,
      unsignableHeaders,
      unhoistableHeaders: new Set(Object.keys(headers)),
    });
    return { signature: String(signed.query?.['X-Amz-Signature']), signedHeaders: String(signed.query?.['X-Amz-SignedHeaders']) };
  }
  const signed = await signer.sign(httpRequest, { ...options, signableHeaders: names, unsignableHeaders });
  const [, , signedHeaders = '', signature = ''] = AUTHORIZATION.exec(signed.headers['authorization'] ?? '') ?? [];
  return { signature, signedHeaders };
}

const sameHex = (a: string, b: string) => {
  const [x, y] = [Buffer.from(a, 'hex'), Buffer.from(b, 'hex')];
  return x.length === 32 && x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Checks an S3 request's AWS Signature Version 4 (the Authorization header or a presigned
 * URL) against `credentials`. Undefined when it is good, else why not. The request's signed
 * parts are signed again with @smithy/signature-v4 (what the AWS SDK signs with) under the
 * same credential scope and time, and the signatures compared in constant time.
 */
export async function sigV4Refusal(request: SignedRequest, credentials: SigningCredentials, now: number): Promise<string | undefined> {
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
  const [accessKeyId, day, region = '', service = '', terminator, ...rest] = claim.credential.split('/');
  if (accessKeyId !== credentials.accessKeyId || terminator !== 'aws4_request' || rest.length > 0) return 'unknown credential';
  const signedAt = amzTime(claim.amzDate);
  if (Number.isNaN(signedAt) || !claim.amzDate.startsWith(day ?? '-')) return 'bad date';
  const validUntil = signedAt + (claim.presigned ? claim.expiresIn * 1000 : MAX_SKEW_MS);
  if (signedAt > now + MAX_SKEW_MS || now > validUntil) return 'expired';
  const names = claim.signedHeaders.split(';');
  if (!names.includes('host')) return 'host not signed';
  const headers: Record<string, string> = Object.fromEntries(
    names.map((name) => {
      const value = request.headers[name];
      return [name, Array.isArray(value) ? value.join(',') : (value ?? '')];
    }),
  );
  // S3 signs the path as sent (no second escaping), like the SDK's S3 client.
  const signer = new SignatureV4({ credentials, region, service, sha256: Sha256, uriEscapePath: false });
  const expected = await resign(signer, claim, { method: request.method, path, query: queryRecord(query), headers }, {
    signingDate: new Date(signedAt),
    signingRegion: region,
    signingService: service,
  });
  if (expected.signedHeaders !== claim.signedHeaders) return 'signed headers do not match';
  return sameHex(claim.signature, expected.signature) ? undefined : 'signature does not match';
}
