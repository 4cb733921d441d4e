export interface FakeFalOptions {
  /** How long a request holds each queue position, ms (`[fake:queue:<n>]` sets how many positions). */
  readonly queueStepMs: number;
  /** How long IN_PROGRESS lasts, ms (`[fake:latency:<ms>]` overrides per request). */
  readonly processingMs: number;
  /** How long a result stays readable after completion; then the result endpoint answers `goneStatus`. */
  readonly retentionMs: number;
  readonly goneStatus: 404 | 410;
  /** How long output files stay downloadable after completion (then 404). */
  readonly mediaRetentionMs: number;
  /** `Retry-After` on forced 429s, in seconds, or as an HTTP date with `retryAfterHttpDate`. */
  readonly retryAfterSeconds: number;
  readonly retryAfterHttpDate: boolean;
  /** At most this many requests IN_PROGRESS; the rest wait IN_QUEUE (fal never rejects on concurrency). */
  readonly activeLimit?: number;
  /** Sent in `X-Fal-Webhook-User-Id` and signed. */
  readonly userId: string;
  readonly webhookAttempts: number;
  readonly webhookRetryDelayMs: number;
  readonly webhookTimeoutMs: number;
  /** Added to webhook timestamps: a provider clock that is off. */
  readonly clockSkewSeconds: number;
  /** When set, any other `Key` gets 401; otherwise any non-empty key is accepted. */
  readonly apiKey?: string;
  /** The JWKS endpoint answers 503. */
  readonly jwksDown: boolean;
  /** Side of the output PNGs when the input has no `image_size`. */
  readonly defaultSide: number;
}

export const defaultFalOptions = (): FakeFalOptions => ({
  queueStepMs: 50,
  processingMs: 100,
  retentionMs: 60 * 60 * 1000,
  goneStatus: 410,
  mediaRetentionMs: 60 * 60 * 1000,
  retryAfterSeconds: 1,
  retryAfterHttpDate: false,
  userId: 'fake-fal-user',
  webhookAttempts: 3,
  webhookRetryDelayMs: 100,
  webhookTimeoutMs: 2000,
  clockSkewSeconds: 0,
  jwksDown: false,
  defaultSide: 64,
});
