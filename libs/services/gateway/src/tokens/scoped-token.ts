import jwt from 'jsonwebtoken';

/** What a scoped token lets a browser do (decision 0027); every list is a limit, null is none. */
export interface TokenScope {
  /** Models it may create generations on; null: any the account may use. */
  readonly models: readonly string[] | null;
  /** Most credits one generation it creates may cost; null: no cap but the account's balance. */
  readonly maxPrice: number | null;
  /** The one task it may read; then it creates nothing. Null: the tasks it created. */
  readonly taskId: string | null;
}

/** The claims of a scoped token, as issued. */
export interface ScopedTokenClaims {
  /** The token's id: tasks it creates are tagged with it. */
  readonly id: string;
  readonly accountId: string;
  /** The API key that issued it: its requests count against that key's rate limit. */
  readonly apiKeyId: string;
  /** The product's own id for its end user, recorded on every task the token creates. */
  readonly endUserId: string;
  readonly scope: TokenScope;
  /** Unix seconds. */
  readonly issuedAt: number;
  readonly expiresAt: number;
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/** A JWT (RFC 7519) with exactly this header; anything else is not one of ours. */
export const looksLikeScopedToken = (bearer: string): boolean => bearer.startsWith(`${HEADER}.`);

/**
 * Scoped tokens as HS256 JWTs (RFC 7519 claims `iss`, `sub`, `jti`, `iat`, `exp`, plus
 * darkroom's `akid`, `uid` and `scope`), signed and verified by `jsonwebtoken`. Only the one
 * header this signer writes is looked at, and `jsonwebtoken` is held to HS256 (no `none`, no
 * key confusion); every key given verifies and the first signs, so keys rotate as the asset
 * URL keys do. Expiry is checked against the caller's clock, not the machine's.
 */
export class ScopedTokenSigner {
  private readonly keys: readonly Buffer[];

  constructor(keys: readonly string[]) {
    if (keys.length === 0 || keys.some((key) => key.length < 16)) throw new Error('Token signing keys must be at least 16 characters');
    this.keys = keys.map((key) => Buffer.from(key, 'utf8'));
  }

  sign(claims: ScopedTokenClaims): string {
    const payload = {
      iss: ISSUER,
      sub: claims.accountId,
      jti: claims.id,
      akid: claims.apiKeyId,
      uid: claims.endUserId,
      iat: claims.issuedAt,
      exp: claims.expiresAt,
      scope: { models: claims.scope.models, max_price: claims.scope.maxPrice, task_id: claims.scope.taskId },
    };
    return jwt.sign(payload, this.keys[0]!, { algorithm: 'HS256' });
  }

  /** The claims of a token this signer issued, `expired`, or `invalid` (anything else). */
  verify(token: string, now: Date): ScopedTokenClaims | 'expired' | 'invalid' {
    if (!looksLikeScopedToken(token)) return 'invalid';
    const clockTimestamp = Math.floor(now.getTime() / 1000);
    for (const key of this.keys) {
      try {
        const payload = jwt.verify(token, key, { algorithms: ['HS256'], issuer: ISSUER, clockTimestamp });
        return (typeof payload === 'object' && parseClaims(payload)) || 'invalid';
      } catch (error) {
        // The signature is checked before the expiry: an expired token was ours.
        if (error instanceof jwt.TokenExpiredError) return 'expired';
      }
    }
    return 'invalid';
  }
}

const ISSUER = 'darkroom';

/** The claims, or undefined when a signed payload is not the shape this signer writes. */
function parseClaims(c: jwt.JwtPayload): ScopedTokenClaims | undefined {
  const scope = c['scope'] as Record<string, unknown> | undefined;
  const strings = [c.sub, c.jti, c['akid'], c['uid']];
  if (!strings.every((value) => typeof value === 'string') || typeof c.exp !== 'number' || typeof c.iat !== 'number' || !scope || typeof scope !== 'object') {
    return undefined;
  }
  const models = scope['models'];
  return {
    id: c.jti as string,
    accountId: c.sub as string,
    apiKeyId: c['akid'] as string,
    endUserId: c['uid'] as string,
    issuedAt: c.iat,
    expiresAt: c.exp,
    scope: {
      models: Array.isArray(models) ? models.filter((model): model is string => typeof model === 'string') : null,
      maxPrice: typeof scope['max_price'] === 'number' ? scope['max_price'] : null,
      taskId: typeof scope['task_id'] === 'string' ? scope['task_id'] : null,
    },
  };
}
