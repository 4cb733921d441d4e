import type { ProviderJobEvent } from '@darkroom/contracts';
import { assertNever } from '@darkroom/kernel';

export interface InitialProviderJob {
  readonly status: 'initial';
}

/**
 * A submitted job; every status after `submitted` is terminal. `abandoned` means the task
 * ended while the job was open: what the provider says afterwards is only recorded as late.
 */
export interface SubmittedProviderJob {
  readonly status: 'submitted' | 'succeeded' | 'failed' | 'canceled' | 'abandoned';
  readonly taskId: string;
  readonly accountId: string;
  readonly attempt: number;
  readonly provider: string;
  readonly providerModel: string;
  readonly providerJobId: string;
  /** The provider's last status word seen, so a repeated observation records nothing. */
  readonly lastObserved?: string;
  /** A late result is recorded once. */
  readonly lateRecorded: boolean;
}

export type ProviderJobState = InitialProviderJob | SubmittedProviderJob;

export type ProviderJobStatus = ProviderJobState['status'];

export const initialProviderJobState = (): ProviderJobState => ({ status: 'initial' });

export function evolveProviderJob(state: ProviderJobState, event: ProviderJobEvent): ProviderJobState {
  if (event.type === 'ProviderJobSubmitted') {
    const { taskId, accountId, attempt, provider, providerModel, providerJobId } = event.data;
    return { status: 'submitted', taskId, accountId, attempt, provider, providerModel, providerJobId, lateRecorded: false };
  }
  // Every other event follows a ProviderJobSubmitted in a well-formed stream.
  if (state.status === 'initial') return state;
  switch (event.type) {
    case 'ProviderJobObserved':
      return { ...state, lastObserved: event.data.providerStatus };
    case 'ProviderJobSucceeded':
      return { ...state, status: 'succeeded' };
    case 'ProviderJobFailed':
      return { ...state, status: 'failed' };
    case 'ProviderJobCanceled':
      return { ...state, status: 'canceled' };
    case 'ProviderJobAbandoned':
      return { ...state, status: 'abandoned' };
    case 'ProviderJobLateResult':
      return { ...state, lateRecorded: true };
    default:
      return assertNever(event);
  }
}
