import { createHmac, timingSafeEqual } from 'node:crypto';

/** Why a signed asset URL was refused. */
export type SignedUrlRefusal = 'malformed' | 'expired' | 'bad_signature';

/**
 * Asset URLs that work without a header until they expire (`<img src>`): an HMAC-SHA256 over
 * the asset id and the expiry, keyed with the first signing key; every key given verifies, so
 * a rotation can keep the previous key a while. Rotating every key revokes every URL handed out.
 */
export class AssetUrlSigner {
  private readonly keys: readonly Buffer[];

  constructor(keys: readonly string[]) {
    if (keys.length === 0 || keys.some((key) => key.length < 16)) throw new Error('Asset URL signing keys must be at least 16 characters');
    this.keys = keys.map((key) => Buffer.from(key, 'utf8'));
  }

  /** `…/v1/assets/{id}?expires=<unix seconds>&signature=<base64url>` */
  url(baseUrl: string, assetId: string, expiresAt: Date): string {
    const expires = Math.floor(expiresAt.getTime() / 1000);
    return `${baseUrl}/v1/assets/${assetId}?expires=${expires}&signature=${signature(this.keys[0], assetId, expires)}`;
  }

  /** Undefined when the URL's query is a live signature of this asset by one of the keys. */
  refusal(assetId: string, expires: unknown, given: unknown, now: Date): SignedUrlRefusal | undefined {
    if (typeof expires !== 'string' || !/^\d{1,12}$/.test(expires) || typeof given !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(given)) {
      return 'malformed';
    }
    // Compared as text: a second spelling of the same bytes (other unused low bits) is refused too.
    const presented = Buffer.from(given, 'latin1');
    const matches = this.keys.some((key) => timingSafeEqual(Buffer.from(signature(key, assetId, Number(expires)), 'latin1'), presented));
    if (!matches) return 'bad_signature';
    return Number(expires) * 1000 <= now.getTime() ? 'expired' : undefined;
  }
}

function signature(key: Buffer, assetId: string, expires: number): string {
  return createHmac('sha256', key).update(`darkroom-asset-url:v1:${assetId}:${expires}`).digest('base64url');
}

/**
 * The signer of `ASSET_URL_SIGNING_KEYS` (comma-separated), or, unset, of a key derived from
 * the admin key: every gateway of a deployment shares it, and rotating it revokes the URLs.
 */
export function assetUrlSignerFrom(keys: string | undefined, adminApiKey: string): AssetUrlSigner {
  return new AssetUrlSigner(keys?.split(',') ?? [createHmac('sha256', adminApiKey).update('darkroom asset URL signing key').digest('base64url')]);
}

/** Signed asset URLs with the lifetime they are handed out with. */
export interface SignedAssetUrls {
  readonly signer: AssetUrlSigner;
  /** `SIGNED_ASSET_URL_TTL_SECONDS`. */
  readonly ttlSeconds: number;
}
