/** Longest `Retry-After` honoured: a receiver cannot park a delivery for longer than this. */
export const MAX_RETRY_AFTER_MS = 24 * 3600 * 1000;

/** What one attempt came to, as the dispatcher records it. */
export interface AttemptOutcome {
  /** The receiver's status; undefined when no answer came (refused, reset, timeout, policy). */
  readonly statusCode?: number;
  /** `Retry-After` of the answer, in milliseconds. */
  readonly retryAfterMs?: number;
}

/** 2xx is a success; anything else, redirects included, is retried. */
export const succeeded = (outcome: AttemptOutcome): boolean =>
  outcome.statusCode !== undefined && outcome.statusCode >= 200 && outcome.statusCode < 300;

/**
 * When to try a failed delivery again, or undefined when its schedule is used up.
 * `roundAttempts` counts the attempts made so far in this round, this one included. A
 * `Retry-After` on 429 or 503 can push the retry later (up to `MAX_RETRY_AFTER_MS`), never sooner.
 */
export function nextRetryAt(outcome: AttemptOutcome, roundAttempts: number, scheduleMs: readonly number[], now: Date): Date | undefined {
  const delay = scheduleMs[roundAttempts - 1];
  if (delay === undefined) return undefined;
  const asked = outcome.statusCode === 429 || outcome.statusCode === 503 ? outcome.retryAfterMs : undefined;
  const wait = Math.max(delay, Math.min(asked ?? 0, MAX_RETRY_AFTER_MS));
  return new Date(now.getTime() + wait);
}

/** True when an endpoint that has failed since `failingSince` has failed for too long. */
export const failingTooLong = (failingSince: Date, now: Date, disableAfterMs: number): boolean =>
  now.getTime() - failingSince.getTime() >= disableAfterMs;
