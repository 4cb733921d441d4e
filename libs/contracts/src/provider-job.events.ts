import type { DomainEvent } from './envelope';
import type { FailureCode } from './failure-codes';

/** One image a provider produced: staged bytes in our bucket, or a URL to fetch. */
export interface ProviderOutput {
  readonly index: number;
  /** Object key under the staging prefix, for providers that answer with bytes. */
  readonly stagingKey?: string;
  /** Provider URL, for providers that answer with a link (fetched by storage). */
  readonly url?: string;
  readonly contentType?: string;
}

export type ProviderJobSubmitted = DomainEvent<
  'ProviderJobSubmitted',
  {
    readonly taskId: string;
    readonly accountId: string;
    readonly attempt: number;
    /** Public model id this attempt runs on (a fallback differs from the task's model). */
    readonly model: string;
    readonly provider: string;
    readonly providerModel: string;
    readonly providerJobId: string;
    /** Provider URLs to find the job again (polling, result, cancel), kept verbatim. */
    readonly handle?: Readonly<Record<string, string>>;
    readonly submittedAt: string;
  }
>;

export type ProviderJobObserved = DomainEvent<
  'ProviderJobObserved',
  {
    readonly taskId: string;
    readonly attempt: number;
    /** The provider's own status word, kept verbatim. */
    readonly providerStatus: string;
    readonly source: 'poll' | 'webhook';
    /** Place in the provider's queue, where it tells. */
    readonly queuePosition?: number;
    readonly observedAt: string;
  }
>;

export type ProviderJobSucceeded = DomainEvent<
  'ProviderJobSucceeded',
  {
    readonly taskId: string;
    readonly accountId: string;
    readonly attempt: number;
    readonly outputs: readonly ProviderOutput[];
    readonly succeededAt: string;
  }
>;

export type ProviderJobFailed = DomainEvent<
  'ProviderJobFailed',
  {
    readonly taskId: string;
    readonly accountId: string;
    readonly attempt: number;
    readonly code: FailureCode;
    readonly retryable: boolean;
    /** The provider's own retry hint (Retry-After), in seconds. */
    readonly retryAfterSeconds?: number;
    readonly detail?: unknown;
    readonly failedAt: string;
  }
>;

export type ProviderJobCanceled = DomainEvent<
  'ProviderJobCanceled',
  { readonly taskId: string; readonly attempt: number; readonly canceledAt: string }
>;

/** The task ended (canceled, timed out, failed elsewhere) while this job was open. */
export type ProviderJobAbandoned = DomainEvent<
  'ProviderJobAbandoned',
  { readonly taskId: string; readonly attempt: number; readonly reason: string; readonly abandonedAt: string }
>;

/** A result that arrived after the job was abandoned: kept for audit, never stored or billed. */
export type ProviderJobLateResult = DomainEvent<
  'ProviderJobLateResult',
  {
    readonly taskId: string;
    readonly attempt: number;
    readonly outcome: 'succeeded' | 'failed' | 'canceled';
    readonly observedAt: string;
  }
>;

export type ProviderJobEvent =
  | ProviderJobSubmitted
  | ProviderJobObserved
  | ProviderJobSucceeded
  | ProviderJobFailed
  | ProviderJobCanceled
  | ProviderJobAbandoned
  | ProviderJobLateResult;
