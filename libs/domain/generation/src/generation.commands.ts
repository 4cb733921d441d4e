import type { CreatedWithToken, FailureCode, GenerationRequest, RequestWebhook, Spender } from '@darkroom/contracts';

/** Every command carries the time it is decided at (ISO 8601); the domain reads no clock. */
interface Timed {
  readonly now: string;
}

/** Accept a request. On a stream that already holds a generation it decides nothing. */
export interface CreateGeneration extends Timed {
  readonly type: 'CreateGeneration';
  readonly taskId: string;
  readonly request: GenerationRequest;
  /** Credits, from the catalog at request time. */
  readonly price: number;
  /** ISO time after which the task fails with `timeout`. */
  readonly deadline: string;
  readonly idempotencyKey?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly spender?: Spender;
  /** An item of this batch, whose credits are already reserved: it is queued as it is created. */
  readonly batchId?: string;
  readonly webhook?: RequestWebhook;
  readonly scopedToken?: CreatedWithToken;
}

/** Credits are reserved: schedule the provider work. */
export interface QueueGeneration extends Timed {
  readonly type: 'QueueGeneration';
  /** The attempt plan, given when a circuit breaker is open (decision 0025). */
  readonly plan?: readonly AttemptStep[];
  /** Open circuits, `provider~model` to the end of their cool-down: the first attempt skips to a closed fallback. */
  readonly openCircuits?: Readonly<Record<string, string>>;
}

/** A provider accepted attempt `attempt` of the task. */
export interface StartProcessing extends Timed {
  readonly type: 'StartProcessing';
  readonly attempt: number;
  readonly provider: string;
  readonly providerJobId: string;
}

/** Output `index` of `outputCount` is in our bucket as asset `assetId`. */
export interface RecordOutputStored extends Timed {
  readonly type: 'RecordOutputStored';
  readonly assetId: string;
  readonly index: number;
  readonly outputCount: number;
}

/** One step of the attempt plan: `attempts` tries on `model`, then the next step. */
export interface AttemptStep {
  readonly model: string;
  readonly provider: string;
  readonly attempts: number;
}

/**
 * Attempt `attempt` failed at the provider. A retryable failure schedules the next attempt
 * of the plan (the model's own, then its fallbacks') when it can start before the deadline;
 * anything else fails the task.
 */
export interface HandleProviderFailure extends Timed {
  readonly type: 'HandleProviderFailure';
  readonly attempt: number;
  readonly code: FailureCode;
  readonly retryable: boolean;
  /** The provider's Retry-After, in seconds; waited for when longer than the back-off. */
  readonly retryAfterSeconds?: number;
  readonly detail?: unknown;
  /** From the catalog: the task's model, then its fallbacks. */
  readonly plan: readonly AttemptStep[];
  /** Back-off before the next attempt, in seconds (grows with the attempt, from the caller's policy). */
  readonly backoffSeconds: number;
  /**
   * Open circuit breakers among the plan's steps, `provider~model` to the end of their
   * cool-down (decision 0025): the next attempt skips to the first later step whose circuit
   * is closed, or waits for the cool-down when every remaining one is open.
   */
  readonly openCircuits?: Readonly<Record<string, string>>;
}

export interface FailGeneration extends Timed {
  readonly type: 'FailGeneration';
  readonly code: FailureCode;
  /** For people; shown to the caller. */
  readonly message: string;
  readonly providerDetail?: unknown;
}

/** The caller gave up on the task. */
export interface CancelGeneration extends Timed {
  readonly type: 'CancelGeneration';
}

export type GenerationCommand =
  | CreateGeneration
  | QueueGeneration
  | StartProcessing
  | RecordOutputStored
  | FailGeneration
  | HandleProviderFailure
  | CancelGeneration;
