import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { callProvider } from '../http/provider-http';
import { isRecord } from './fal-failure';

/** How long fetched keys are trusted without asking again. */
export const FAL_KEYS_TTL_MS = 24 * 60 * 60 * 1000;
/** Least time between two JWKS fetches when no known key verifies (a forged signature must not make us hammer fal). */
export const FAL_KEYS_REFETCH_MS = 60 * 1000;

/** fal's Ed25519 webhook keys from its JWKS, cached, refetched on rotation. */
export class FalWebhookKeys {
  private keys: readonly KeyObject[] = [];
  private fetchedAt?: number;
  private attemptedAt?: number;
  private fetching?: Promise<void>;

  constructor(
    private readonly jwksUrl: string,
    private readonly timeoutMs: number,
    private readonly now: () => number,
  ) {}

  /** True when a published key verifies `signature` over `message`; false when the JWKS cannot be had. */
  async verify(message: Buffer, signature: Buffer): Promise<boolean> {
    if (this.fresh() && this.matches(message, signature)) return true;
    // A key we do not know yet may have been rotated in; ask again, but not too often.
    if (this.attemptedAt !== undefined && this.now() - this.attemptedAt < FAL_KEYS_REFETCH_MS && !this.fetching) return false;
    await (this.fetching ??= this.fetch().finally(() => (this.fetching = undefined)));
    return this.fresh() && this.matches(message, signature);
  }

  private fresh(): boolean {
    return this.fetchedAt !== undefined && this.now() - this.fetchedAt < FAL_KEYS_TTL_MS;
  }

  private matches(message: Buffer, signature: Buffer): boolean {
    return this.keys.some((key) => {
      try {
        return verify(null, message, key, signature);
      } catch {
        return false;
      }
    });
  }

  private async fetch(): Promise<void> {
    this.attemptedAt = this.now();
    const result = await callProvider(this.jwksUrl, { method: 'GET' }, this.timeoutMs);
    if (!result.ok || result.answer.status !== 200) return;
    const listed = isRecord(result.answer.json) && Array.isArray(result.answer.json['keys']) ? result.answer.json['keys'] : [];
    const keys = listed.flatMap((jwk) => {
      if (!isRecord(jwk) || jwk['kty'] !== 'OKP' || jwk['crv'] !== 'Ed25519' || typeof jwk['x'] !== 'string') return [];
      try {
        return [createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk['x'] }, format: 'jwk' })];
      } catch {
        return [];
      }
    });
    if (keys.length === 0) return;
    this.keys = keys;
    this.fetchedAt = this.now();
  }
}
