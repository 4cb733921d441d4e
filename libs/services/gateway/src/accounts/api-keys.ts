import { createHash, randomBytes } from 'node:crypto';

/** Keys look like `drk_<8 hex>_<secret>`; the first part is shown in listings, the rest never again. */
export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const prefix = `drk_${randomBytes(4).toString('hex')}`;
  const key = `${prefix}_${randomBytes(24).toString('base64url')}`;
  return { key, prefix, hash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function prefixOf(key: string): string | undefined {
  const match = /^(drk_[0-9a-f]{8})_[A-Za-z0-9_-]{20,}$/.exec(key);
  return match?.[1];
}
