import type { FailureCode } from '@darkroom/contracts';

/** One attempt at one task, as the provider adapter hands it to a provider. */
export interface ProviderSubmitRequest {
  readonly taskId: string;
  /** 1 for the first try; providers may use (taskId, attempt) as an idempotency key. */
  readonly attempt: number;
  /** The provider's own model name, from the model catalog. */
  readonly providerModel: string;
  readonly prompt: string;
  readonly negativePrompt?: string;
  /** Pixels. */
  readonly width: number;
  /** Pixels. */
  readonly height: number;
  /** Images to produce. */
  readonly n: number;
  readonly seed: number;
}

export interface ProviderImage {
  readonly bytes: Buffer;
  /** e.g. "image/png" */
  readonly contentType: string;
}

export type SubmitOutcome =
  /** Synchronous providers that return the image bytes in the response. */
  | { readonly kind: 'completed'; readonly images: readonly ProviderImage[] }
  /** Asynchronous providers; the result arrives by polling or webhook. */
  | { readonly kind: 'accepted'; readonly providerJobId: string }
  | { readonly kind: 'failed'; readonly code: FailureCode; readonly retryable: boolean; readonly detail?: unknown };

export interface ImageProvider {
  /** Matches `ModelEntry.provider` in the catalog. */
  readonly name: string;
  submit(request: ProviderSubmitRequest): Promise<SubmitOutcome>;
}
