import type { FailureCode, ProviderOutput } from '@darkroom/contracts';

/** Every command carries the time it is decided at (ISO 8601); the domain reads no clock. */
interface Timed {
  readonly now: string;
}

/** Attempt `attempt` of a task was handed to a provider. */
export interface SubmitProviderJob extends Timed {
  readonly type: 'SubmitProviderJob';
  readonly taskId: string;
  readonly accountId: string;
  readonly attempt: number;
  /** Public model id this attempt runs on. */
  readonly model: string;
  readonly provider: string;
  readonly providerModel: string;
  readonly providerJobId: string;
  readonly handle?: Readonly<Record<string, string>>;
}

/** A non-terminal status seen by a poll or a webhook. */
export interface ObserveProviderJob extends Timed {
  readonly type: 'ObserveProviderJob';
  /** The provider's own status word, kept verbatim. */
  readonly providerStatus: string;
  readonly source: 'poll' | 'webhook';
  readonly queuePosition?: number;
}

export interface SucceedProviderJob extends Timed {
  readonly type: 'SucceedProviderJob';
  readonly outputs: readonly ProviderOutput[];
}

export interface FailProviderJob extends Timed {
  readonly type: 'FailProviderJob';
  readonly code: FailureCode;
  /** 429, 5xx and network errors may be retried; a rejection may not. */
  readonly retryable: boolean;
  readonly retryAfterSeconds?: number;
  readonly detail?: unknown;
}

export interface CancelProviderJob extends Timed {
  readonly type: 'CancelProviderJob';
}

/** The task ended while this job was open (canceled, timed out, failed elsewhere). */
export interface AbandonProviderJob extends Timed {
  readonly type: 'AbandonProviderJob';
  readonly reason: string;
}

export type ProviderJobCommand =
  | SubmitProviderJob
  | ObserveProviderJob
  | SucceedProviderJob
  | FailProviderJob
  | CancelProviderJob
  | AbandonProviderJob;
