import type { ProviderJobEvent } from '@darkroom/contracts';
import { assertNever } from '@darkroom/kernel';

export interface InitialProviderJob {
  readonly status: 'initial';
}

/** A submitted job; every status after `submitted` is terminal. */
export interface SubmittedProviderJob {
  readonly status: 'submitted' | 'succeeded' | 'failed' | 'canceled';
  readonly taskId: string;
  readonly accountId: string;
  readonly attempt: number;
  readonly provider: string;
  readonly providerModel: string;
  readonly providerJobId: string;
}

export type ProviderJobState = InitialProviderJob | SubmittedProviderJob;

export type ProviderJobStatus = ProviderJobState['status'];

export const initialProviderJobState = (): ProviderJobState => ({ status: 'initial' });

export function evolveProviderJob(state: ProviderJobState, event: ProviderJobEvent): ProviderJobState {
  if (event.type === 'ProviderJobSubmitted') {
    const { taskId, accountId, attempt, provider, providerModel, providerJobId } = event.data;
    return { status: 'submitted', taskId, accountId, attempt, provider, providerModel, providerJobId };
  }
  // Every other event follows a ProviderJobSubmitted in a well-formed stream.
  if (state.status === 'initial') return state;
  switch (event.type) {
    case 'ProviderJobObserved':
      return state;
    case 'ProviderJobSucceeded':
      return { ...state, status: 'succeeded' };
    case 'ProviderJobFailed':
      return { ...state, status: 'failed' };
    case 'ProviderJobCanceled':
      return { ...state, status: 'canceled' };
    default:
      return assertNever(event);
  }
}
