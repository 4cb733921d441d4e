import type { FailureCode } from '@darkroom/contracts';

/** An image handed to a provider as the edit target or a reference. */
export interface ProviderInputImage {
  readonly bytes: Buffer;
  /** Sniffed, e.g. "image/png". */
  readonly contentType: string;
  /**
   * A short-lived URL the provider can fetch (a presigned GET on our bucket), for providers
   * that take links; never an internal URL. Absent when only bytes are available.
   */
  readonly url?: string;
}

/** One attempt at one task, as the provider adapter hands it to a provider. */
export interface ProviderSubmitRequest {
  readonly taskId: string;
  /** 1 for the first try; every retry or fallback is a new attempt. */
  readonly attempt: number;
  /** The provider's own model name, from the model catalog. */
  readonly providerModel: string;
  readonly prompt: string;
  readonly negativePrompt?: string;
  /** Pixels. */
  readonly width: number;
  /** Pixels. */
  readonly height: number;
  /** e.g. "16:9", when the caller asked by aspect ratio (models that size by ratio use it). */
  readonly aspectRatio?: string;
  /** Images to produce. */
  readonly n: number;
  readonly seed: number;
  /** e.g. "low" | "medium" | "high" | "auto", for models that have qualities. */
  readonly quality?: string;
  /** Edit targets, in order (empty for text-to-image). */
  readonly inputImages: readonly ProviderInputImage[];
  /** Style or subject references (empty when none). */
  readonly referenceImages: readonly ProviderInputImage[];
  /**
   * Where the provider should call back (our `/webhooks/providers/{provider}` with the task
   * and attempt in the query), when webhooks are configured; undefined → poll only.
   */
  readonly webhookUrl?: string;
}

/** A result image: bytes (inline base64 answers) or a provider URL to copy from. */
export type ProviderImage =
  | { readonly kind: 'bytes'; readonly bytes: Buffer; readonly contentType: string }
  | { readonly kind: 'url'; readonly url: string; readonly contentType?: string };

/** Why an attempt failed, mapped to our stable codes, with the provider's own words kept. */
export interface ProviderFailure {
  readonly code: FailureCode;
  /** 429, 5xx, timeouts and network errors: another attempt may succeed. */
  readonly retryable: boolean;
  /** From `Retry-After` / `retry-after-ms` / a provider retry hint, when one was given. */
  readonly retryAfterSeconds?: number;
  /** The provider's status, error body or message, for the user and for support. */
  readonly detail: unknown;
}

/** What an async provider needs to find the job again (e.g. BFL's polling_url, fal's status/response URLs). */
export interface ProviderJobRef {
  readonly providerJobId: string;
  readonly providerModel: string;
  /** Opaque per-provider strings returned by `submit`, kept with the job. */
  readonly handle?: Readonly<Record<string, string>>;
}

export type SubmitOutcome =
  /** Synchronous providers that return the images in the response. */
  | { readonly kind: 'completed'; readonly images: readonly ProviderImage[] }
  /** Asynchronous providers; the result arrives by polling or webhook. */
  | { readonly kind: 'accepted'; readonly job: ProviderJobRef }
  | { readonly kind: 'failed'; readonly failure: ProviderFailure };

/** What a poll or a webhook says about a job. `providerStatus` is the provider's word, verbatim. */
export type JobObservation =
  | { readonly kind: 'pending'; readonly providerStatus: string; readonly queuePosition?: number }
  | { readonly kind: 'succeeded'; readonly providerStatus: string; readonly images: readonly ProviderImage[] }
  | { readonly kind: 'failed'; readonly providerStatus: string; readonly failure: ProviderFailure }
  | { readonly kind: 'canceled'; readonly providerStatus: string };

/** A verified provider callback, parsed. */
export interface WebhookDelivery {
  /** The provider's job id the callback is about; must match the job we recorded. */
  readonly providerJobId: string;
  /**
   * Same for every retry of one delivery (e.g. `webhook-id`), so exact replays can be
   * deduplicated; a hash of the signed parts where the provider has no id.
   */
  readonly deliveryId: string;
  readonly observation: JobObservation;
  /** True where the callback is only a hint (unconfirmed schemes): re-poll for the truth. */
  readonly confirmByPoll: boolean;
}

/** Header names lower-cased, as Node gives them. */
export type WebhookHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** One provider behind one port (DESIGN §8). */
export interface ImageProvider {
  /** Matches `ModelEntry.provider` in the catalog. */
  readonly name: string;
  /** `sync`: `submit` answers with the images; `async`: with a job to poll or await. */
  readonly mode: 'sync' | 'async';
  /** Never throws for provider or network trouble: those are `failed` outcomes. */
  submit(request: ProviderSubmitRequest): Promise<SubmitOutcome>;
  /** Async providers only; never throws for provider or network trouble (`failed`, retryable). */
  poll(job: ProviderJobRef): Promise<JobObservation>;
  /** Best effort; resolves even when the provider cannot cancel. */
  cancel(job: ProviderJobRef): Promise<void>;
  /** True only for a genuine callback within the timestamp tolerance; never throws. */
  verifyWebhook(headers: WebhookHeaders, rawBody: Buffer): Promise<boolean>;
  /** Only after `verifyWebhook` said true; throws `ProviderPayloadError` on a malformed body. */
  parseWebhook(headers: WebhookHeaders, rawBody: Buffer): WebhookDelivery;
}

/** A provider answered something we cannot read (malformed JSON, missing fields). */
export class ProviderPayloadError extends Error {
  override readonly name = 'ProviderPayloadError';
}
