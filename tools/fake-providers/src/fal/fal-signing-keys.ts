import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';

interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicJwk: Readonly<Record<string, unknown>>;
}

/** fal's webhook keys: Ed25519, published as a JWKS; the newest key signs. */
export class FalSigningKeys {
  private keys: SigningKey[] = [newKey()];

  /** Publishes a second key and signs with it from now on (the old one stays listed). */
  rotate(): void {
    this.keys.push(newKey());
  }

  /** Stops publishing every key but the newest. */
  dropOld(): void {
    this.keys = this.keys.slice(-1);
  }

  jwks(): { readonly keys: readonly Readonly<Record<string, unknown>>[] } {
    return { keys: this.keys.map((key) => key.publicJwk) };
  }

  /**
   * Hex Ed25519 signature over `request_id \n user_id \n timestamp \n hex(sha256(body))`;
   * `unknownKey` signs with a key the JWKS never lists.
   */
  signature(fields: { requestId: string; userId: string; timestamp: number; body: string }, unknownKey = false): string {
    const bodyHash = createHash('sha256').update(fields.body).digest('hex');
    const message = Buffer.from(`${fields.requestId}\n${fields.userId}\n${fields.timestamp}\n${bodyHash}`);
    const key = unknownKey ? newKey().privateKey : this.keys[this.keys.length - 1].privateKey;
    return sign(null, message, key).toString('hex');
  }
}

function newKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const kid = randomUUID();
  return { kid, privateKey, publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'EdDSA' } };
}
