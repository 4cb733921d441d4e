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
    readonly provider: string;
    readonly providerModel: string;
    readonly providerJobId: string;
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
    readonly detail?: unknown;
    readonly failedAt: string;
  }
>;

export type ProviderJobCanceled = DomainEvent<
  'ProviderJobCanceled',
  { readonly taskId: string; readonly attempt: number; readonly canceledAt: string }
>;

export type ProviderJobEvent =
  | ProviderJobSubmitted
  | ProviderJobObserved
  | ProviderJobSucceeded
  | ProviderJobFailed
  | ProviderJobCanceled;
