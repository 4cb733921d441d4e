/** What one key may do: `limit` requests per `windowSeconds`. */
export interface RateLimitPolicy {
  readonly limit: number;
  readonly windowSeconds: number;
}

/** A key's bucket after this request. */
export interface RateLimitState {
  readonly remaining: number;
  /** Milliseconds until the window resets. */
  readonly msBeforeReset: number;
}

/**
 * The headers of draft-ietf-httpapi-ratelimit-headers-06 (the separate fields that GitHub
 * and express-rate-limit send): the policy, the limit, what is left and the seconds until
 * the window resets (a delta, never 0 while anything is consumed).
 */
export function rateLimitHeaders(policy: RateLimitPolicy, state: RateLimitState): Record<string, string> {
  return {
    'RateLimit-Policy': `${policy.limit};w=${policy.windowSeconds}`,
    'RateLimit-Limit': String(policy.limit),
    'RateLimit-Remaining': String(Math.max(0, state.remaining)),
    'RateLimit-Reset': String(secondsUntil(state.msBeforeReset)),
  };
}

/** Whole seconds, rounded up, at least 1: what `Retry-After` and `RateLimit-Reset` carry. */
export const secondsUntil = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));
