import { randomBytes } from 'node:crypto';

export interface FakeReplicateOptions {
  /** Cold boot: how long a prediction stays `starting`, ms. */
  readonly startingMs: number;
  /** How long `processing` lasts, ms (`[fake:latency:<ms>]` overrides per request). */
  readonly processingMs: number;
  /** After completion, outputs are deleted: files answer 410, the prediction shows `output: null, data_removed: true`. */
  readonly retentionMs: number;
  /** `Retry-After` on forced 429s, in seconds, or as an HTTP date with `retryAfterHttpDate`. */
  readonly retryAfterSeconds: number;
  readonly retryAfterHttpDate: boolean;
  /** At most this many predictions `processing` at once; the rest wait in `starting`. */
  readonly activeLimit?: number;
  /** Tries per webhook message (first included) and the pause between them. */
  readonly webhookAttempts: number;
  readonly webhookRetryDelayMs: number;
  readonly webhookTimeoutMs: number;
  /** Added to webhook timestamps: a provider clock that is off. */
  readonly clockSkewSeconds: number;
  /** When set, any other bearer token gets 401; otherwise any non-empty token is accepted. */
  readonly apiToken?: string;
  /** `whsec_…`, served at `GET /v1/webhooks/default/secret` and used to sign webhooks. */
  readonly webhookSecret: string;
  /** Side of the output PNGs when the input has no width/height. */
  readonly defaultSide: number;
}

export const defaultReplicateOptions = (): FakeReplicateOptions => ({
  startingMs: 50,
  processingMs: 100,
  retentionMs: 60 * 60 * 1000,
  retryAfterSeconds: 1,
  retryAfterHttpDate: false,
  webhookAttempts: 3,
  webhookRetryDelayMs: 100,
  webhookTimeoutMs: 2000,
  clockSkewSeconds: 0,
  webhookSecret: `whsec_${randomBytes(32).toString('base64')}`,
  defaultSide: 64,
});
