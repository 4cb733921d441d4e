import { assertNever } from '@darkroom/kernel';

/**
 * How the gateway hands out a stored image after checking the caller owns it: a 302 to a
 * presigned GET valid for `ttlSeconds`, a 302 to the stable URL under a CDN's `baseUrl`, or
 * the bytes streamed through the gateway (`proxy`, for clients that cannot reach the bucket).
 */
export type AssetServing =
  | { readonly mode: 'presigned'; readonly ttlSeconds: number }
  | { readonly mode: 'public'; readonly baseUrl: string }
  | { readonly mode: 'proxy' };

/** Stored assets never change, so a year of caching is as good as forever. */
const IMMUTABLE = 'max-age=31536000, immutable';

/** The asset's entity tag: its sha256, the same in every mode and on every response. */
export const assetEtag = (sha256: string): string => `"${sha256}"`;

/**
 * `Cache-Control` for `GET /v1/assets/{id}`. A redirect to a presigned URL may be reused
 * only while that URL still has time left to be fetched, so it is cached for 80% of the
 * URL's lifetime; the CDN's URL is stable and may be cached anywhere; proxied bytes are
 * the caller's alone.
 */
export function assetCacheControl(serving: AssetServing): string {
  switch (serving.mode) {
    case 'presigned':
      return `private, max-age=${Math.floor(serving.ttlSeconds * 0.8)}`;
    case 'public':
      return `public, ${IMMUTABLE}`;
    case 'proxy':
      return `private, ${IMMUTABLE}`;
    default:
      return assertNever(serving);
  }
}

/** `If-None-Match` against our tag, with the weak comparison RFC 9110 §13.1.2 asks for. */
export function etagMatches(ifNoneMatch: string | readonly string[] | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const tags = (Array.isArray(ifNoneMatch) ? ifNoneMatch.join(',') : String(ifNoneMatch)).split(',').map((tag) => tag.trim());
  return tags.some((tag) => tag === '*' || tag.replace(/^W\//, '') === etag);
}

/** The stable URL of a key under a CDN base (no trailing slash); each path segment is encoded. */
export const publicAssetUrl = (baseUrl: string, key: string): string =>
  `${baseUrl}/${key.split('/').map(encodeURIComponent).join('/')}`;
