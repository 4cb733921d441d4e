import type { GenerationEvent, GenerationRequest, GenerationStatus } from '@darkroom/contracts';
import { assertNever } from '@darkroom/kernel';

/** No `GenerationCreated` yet: the stream is empty. */
export interface InitialGeneration {
  readonly status: 'initial';
}

/** A generation from `created` on; `status` says where it is in the lifecycle. */
export interface RecordedGeneration {
  readonly status: GenerationStatus;
  readonly taskId: string;
  readonly request: GenerationRequest;
  readonly price: number;
  readonly deadline: string;
  readonly idempotencyKey?: string;
  /** Provider attempt in progress; 0 until the first `GenerationProcessing`. */
  readonly attempt: number;
  /** The latest attempt scheduled (1 once queued); failures of older attempts are stale. */
  readonly scheduledAttempt: number;
  /** Outputs in our bucket: output index → asset id. A plain record so state serialises. */
  readonly outputs: Readonly<Record<number, string>>;
}

export type GenerationState = InitialGeneration | RecordedGeneration;

export const initialGenerationState = (): GenerationState => ({ status: 'initial' });

export function isTerminal(state: GenerationState): boolean {
  switch (state.status) {
    case 'completed':
    case 'failed':
    case 'canceled':
      return true;
    case 'initial':
    case 'created':
    case 'queued':
    case 'processing':
      return false;
    default:
      return assertNever(state);
  }
}

export function evolveGeneration(state: GenerationState, event: GenerationEvent): GenerationState {
  if (event.type === 'GenerationCreated') {
    const { taskId, request, price, deadline, idempotencyKey } = event.data;
    return {
      status: 'created',
      taskId,
      request,
      price,
      deadline,
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      attempt: 0,
      scheduledAttempt: 0,
      outputs: {},
    };
  }
  // Every other event follows a GenerationCreated in a well-formed stream.
  if (state.status === 'initial') return state;
  switch (event.type) {
    case 'GenerationQueued':
      return { ...state, status: 'queued', scheduledAttempt: event.data.route?.attempt ?? 1 };
    case 'GenerationRetryScheduled':
      return { ...state, scheduledAttempt: event.data.attempt };
    case 'GenerationProcessing':
      return { ...state, status: 'processing', attempt: event.data.attempt };
    case 'GenerationOutputStored':
      return { ...state, outputs: { ...state.outputs, [event.data.index]: event.data.assetId } };
    case 'GenerationCompleted':
      return { ...state, status: 'completed' };
    case 'GenerationFailed':
      return { ...state, status: 'failed' };
    case 'GenerationCanceled':
      return { ...state, status: 'canceled' };
    default:
      return assertNever(event);
  }
}
