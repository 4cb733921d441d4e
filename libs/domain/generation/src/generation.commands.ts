import type { FailureCode, GenerationRequest } from '@darkroom/contracts';

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
}

/** Credits are reserved: schedule the provider work. */
export interface QueueGeneration extends Timed {
  readonly type: 'QueueGeneration';
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
  | CancelGeneration;
