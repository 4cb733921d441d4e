import type { Spender } from '../credit-account.events';
import type { CreatedWithToken, GenerationCreated, GenerationRequest, RequestWebhook } from '../generation.events';

/** A request the edge has checked and priced, to become a task. */
export interface NewGeneration {
  /** Chosen beforehand when an Idempotency-Key's claim holds it; a new id otherwise. */
  readonly taskId?: string;
  readonly request: GenerationRequest;
  /** Credits, from the catalog at request time. */
  readonly price: number;
  /** Seconds the model is given, from creation, before the task fails with `timeout`. */
  readonly deadlineSeconds: number;
  readonly idempotencyKey?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  /** The API key that asked and the end user it named: their spend caps apply. */
  readonly spender?: Spender;
  /** Where this task's terminal events are delivered, besides the account's endpoints. */
  readonly webhook?: RequestWebhook;
  /** The scoped token that asked for it, if one did. */
  readonly scopedToken?: CreatedWithToken;
  /** The HTTP request that asked for it, stamped on the event. */
  readonly requestId: string;
}

/** One item of a batch: a task whose credits the batch's one reservation already holds. */
export interface NewBatchItem extends NewGeneration {
  readonly taskId: string;
  /** The client's own id for the item, echoed back. */
  readonly customId?: string;
}

/** A batch the edge has checked, priced and reserved (`CreditReservations.reserveBatch`). */
export interface NewBatch {
  readonly batchId: string;
  readonly accountId: string;
  readonly requestId: string;
  readonly items: readonly NewBatchItem[];
}

export interface GenerationCancel {
  readonly taskId: string;
  readonly accountId: string;
  readonly requestId: string;
}

/**
 * A write that commits or rolls back with the task's GenerationCreated (an Idempotency-Key's
 * row, decisions 0012 and 0022). `Tx` is the transaction both run in: the platform's `Sql`.
 */
export type AlongsideCreation<Tx> = (tx: Tx, created: GenerationCreated) => Promise<void>;

/**
 * The writes to a task's stream that start at the edge, done by the generation service's
 * code (decision 0022). Nest injects the implementation by this class.
 */
export abstract class GenerationCommands<Tx = unknown> {
  /** Appends GenerationCreated (NO_STREAM); `alongside` runs in the same transaction. */
  abstract create(generation: NewGeneration, alongside?: AlongsideCreation<Tx>): Promise<GenerationCreated>;

  /**
   * Records the batch and creates its items, all in one transaction with `alongside`; each item
   * is queued at once (its credits are reserved). A batch created before creates nothing.
   */
  abstract createBatch(batch: NewBatch, alongside?: (tx: Tx) => Promise<void>): Promise<void>;

  /** Cancels the task; a terminal one is refused with `generation_not_cancelable`. */
  abstract cancel(cancel: GenerationCancel): Promise<void>;
}
