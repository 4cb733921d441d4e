import type { Spender } from './credit-account.events';
import type { DomainEvent } from './envelope';
import type { FailureCode } from './failure-codes';
import type { WebhookEventType } from './ports/webhook-endpoints';

/** An uploaded image a task uses, resolved (and its owner checked) by the gateway. */
export interface InputImageRef {
  readonly uploadId: string;
  /** Object key in our bucket. */
  readonly key: string;
  readonly contentType: string;
}

/**
 * Scheduling lane of a task (decision 0024): interactive before standard before batch at a
 * provider, with aging so a lower lane is never starved. Older events have none: standard.
 */
export type Priority = 'interactive' | 'standard' | 'batch';

/** Lanes from highest to lowest. */
export const PRIORITIES: readonly Priority[] = ['interactive', 'standard', 'batch'];

/** The lane of a request (events recorded before lanes existed carry none). */
export const priorityOf = (request: { readonly priority?: Priority }): Priority => request.priority ?? 'standard';

/** What was asked for, after validation and defaults; what a provider needs to render. */
export interface GenerationRequest {
  readonly accountId: string;
  /** Public model id from the catalog, e.g. "local". */
  readonly model: string;
  readonly prompt: string;
  readonly negativePrompt?: string;
  readonly width: number;
  readonly height: number;
  /** Number of images. */
  readonly n: number;
  readonly seed: number;
  readonly outputFormat: 'png';
  /** e.g. "16:9", for models sized by ratio (width and height then approximate it). */
  readonly aspectRatio?: string;
  /** A quality the model offers, e.g. "high". */
  readonly quality?: string;
  /** Edit targets, in order. */
  readonly inputImages?: readonly InputImageRef[];
  readonly referenceImages?: readonly InputImageRef[];
  /** Scheduling lane; absent means standard (decision 0024). */
  readonly priority?: Priority;
}

/**
 * A webhook asked for with the request (`webhook` on `POST /v1/generations`): its terminal
 * events are delivered there as to an endpoint, signed with the account's default secret.
 */
export interface RequestWebhook {
  /** Checked at the edge as an endpoint URL is (https, a public host). */
  readonly url: string;
  /** The terminal states to deliver; every one unless the request named some. */
  readonly events: readonly WebhookEventType[];
}

/** The scoped token (`POST /v1/tokens`) a task was created with: who may read it, for whom. */
export interface CreatedWithToken {
  readonly tokenId: string;
  /** The product's id for its end user, from the token. */
  readonly endUserId: string;
}

export type GenerationCreated = DomainEvent<
  'GenerationCreated',
  {
    readonly taskId: string;
    readonly request: GenerationRequest;
    /** Credits this task costs, from the catalog at request time. */
    readonly price: number;
    readonly idempotencyKey?: string;
    /** ISO time after which the task fails with `timeout`. */
    readonly deadline: string;
    readonly metadata?: Readonly<Record<string, string>>;
    /** The API key and end user (`user` on the request) it is for: the ledger applies their spend caps. */
    readonly spender?: Spender;
    /** The batch it is an item of; its credits were reserved with the batch's, so it is queued at once. */
    readonly batchId?: string;
    readonly webhook?: RequestWebhook;
    readonly scopedToken?: CreatedWithToken;
    readonly createdAt: string;
  }
>;

export type GenerationQueued = DomainEvent<
  'GenerationQueued',
  {
    readonly taskId: string;
    readonly request: GenerationRequest;
    readonly deadline: string;
    /**
     * Set when the model's circuit breaker was open (decision 0025): the first attempt runs on
     * this fallback, numbered as the first attempt of its plan step. Absent: attempt 1 on the model.
     */
    readonly route?: {
      readonly attempt: number;
      readonly model: string;
      readonly provider: string;
      readonly circuitOpen: { readonly model: string; readonly provider: string; readonly openUntil: string };
    };
    readonly queuedAt: string;
  }
>;

export type GenerationProcessing = DomainEvent<
  'GenerationProcessing',
  {
    readonly taskId: string;
    readonly attempt: number;
    readonly provider: string;
    readonly providerJobId: string;
    readonly processingAt: string;
  }
>;

/**
 * A provider attempt failed in a way another attempt may fix (429, 5xx, network): attempt
 * `attempt` runs on `model` no earlier than `notBefore`.
 */
export type GenerationRetryScheduled = DomainEvent<
  'GenerationRetryScheduled',
  {
    readonly taskId: string;
    readonly attempt: number;
    /** Public model id; a fallback model once the first one's attempts are spent. */
    readonly model: string;
    readonly provider: string;
    readonly notBefore: string;
    /** Why the previous attempt failed. */
    readonly reason: { readonly code: FailureCode; readonly detail?: unknown };
    /** The planned step's circuit breaker was open: this attempt skipped to a fallback, or waits for its cool-down. */
    readonly circuitOpen?: { readonly model: string; readonly provider: string; readonly openUntil: string };
    readonly scheduledAt: string;
  }
>;

/** One output of the task is in our bucket. */
export type GenerationOutputStored = DomainEvent<
  'GenerationOutputStored',
  {
    readonly taskId: string;
    readonly assetId: string;
    readonly index: number;
    readonly outputCount: number;
    readonly storedAt: string;
  }
>;

export type GenerationCompleted = DomainEvent<
  'GenerationCompleted',
  { readonly taskId: string; readonly accountId: string; readonly assetIds: readonly string[]; readonly completedAt: string }
>;

export type GenerationFailed = DomainEvent<
  'GenerationFailed',
  {
    readonly taskId: string;
    readonly accountId: string;
    readonly code: FailureCode;
    readonly message: string;
    readonly providerDetail?: unknown;
    /** The provider attempt whose failure ended the task (absent for other failures). */
    readonly attempt?: number;
    readonly failedAt: string;
  }
>;

export type GenerationCanceled = DomainEvent<
  'GenerationCanceled',
  { readonly taskId: string; readonly accountId: string; readonly canceledAt: string }
>;

export type GenerationEvent =
  | GenerationCreated
  | GenerationQueued
  | GenerationProcessing
  | GenerationRetryScheduled
  | GenerationOutputStored
  | GenerationCompleted
  | GenerationFailed
  | GenerationCanceled;

export const GenerationStatus = {
  created: 'created',
  queued: 'queued',
  processing: 'processing',
  completed: 'completed',
  failed: 'failed',
  canceled: 'canceled',
} as const;
export type GenerationStatus = (typeof GenerationStatus)[keyof typeof GenerationStatus];

export const terminalStatuses: readonly GenerationStatus[] = ['completed', 'failed', 'canceled'];
