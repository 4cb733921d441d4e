import type { FailureCode, GenerationEvent } from '@darkroom/contracts';
import { assertNever, DomainError } from '@darkroom/kernel';
import type {
  AttemptStep,
  CancelGeneration,
  CreateGeneration,
  FailGeneration,
  GenerationCommand,
  HandleProviderFailure,
  QueueGeneration,
  RecordOutputStored,
  StartProcessing,
} from './generation.commands';
import type { GenerationState, RecordedGeneration } from './generation.state';

/**
 * Terminal generations decide nothing: a second success, a late webhook or a repeated
 * poll result must not produce a second event (and so no second settlement).
 */
export function decideGeneration(command: GenerationCommand, state: GenerationState): readonly GenerationEvent[] {
  switch (command.type) {
    case 'CreateGeneration':
      return state.status === 'initial' ? create(command) : [];
    case 'QueueGeneration':
      return state.status === 'created' ? queue(command, state) : [];
    case 'StartProcessing':
      return startProcessing(command, state);
    case 'RecordOutputStored':
      return state.status === 'queued' || state.status === 'processing' ? recordOutput(command, state) : [];
    case 'FailGeneration':
      return isOpen(state) ? fail(command, state) : [];
    case 'HandleProviderFailure':
      return isOpen(state) ? providerFailure(command, state) : [];
    case 'CancelGeneration':
      return cancel(command, state);
    default:
      return assertNever(command);
  }
}

/** Queued on the model, or on its first fallback with a closed circuit while the model's is open. */
function queue(command: QueueGeneration, state: RecordedGeneration): readonly GenerationEvent[] {
  const { plan = [], openCircuits = {}, now } = command;
  const first = plan[0];
  const openUntil = first && openCircuits[circuitKey(first)];
  const skipTo = first && openUntil !== undefined ? firstClosedStepAfter(plan, first, openCircuits) : undefined;
  const route =
    skipTo && openUntil !== undefined
      ? {
          route: {
            attempt: skipTo.attempt,
            model: skipTo.step.model,
            provider: skipTo.step.provider,
            circuitOpen: { model: first.model, provider: first.provider, openUntil },
          },
        }
      : {};
  return [{ type: 'GenerationQueued', data: { taskId: state.taskId, request: state.request, deadline: state.deadline, ...route, queuedAt: now } }];
}

function create(command: CreateGeneration): readonly GenerationEvent[] {
  const { taskId, request, price, deadline, idempotencyKey, metadata, spender, batchId, webhook, scopedToken, now } = command;
  const created: GenerationEvent = {
    type: 'GenerationCreated',
    data: {
      taskId,
      request,
      price,
      deadline,
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      ...(metadata === undefined ? {} : { metadata }),
      ...(spender === undefined ? {} : { spender }),
      ...(batchId === undefined ? {} : { batchId }),
      ...(webhook === undefined ? {} : { webhook }),
      ...(scopedToken === undefined ? {} : { scopedToken }),
      createdAt: now,
    },
  };
  // A batch's item: the batch's one reservation already holds its credits.
  if (batchId === undefined) return [created];
  return [created, { type: 'GenerationQueued', data: { taskId, request, deadline, queuedAt: now } }];
}

/** A retry on a new attempt moves processing on; a redelivered or older attempt does not. */
function startProcessing(command: StartProcessing, state: GenerationState): readonly GenerationEvent[] {
  const starts =
    state.status === 'queued' || (state.status === 'processing' && command.attempt > state.attempt);
  if (!starts) return [];
  const { attempt, provider, providerJobId, now } = command;
  return [
    {
      type: 'GenerationProcessing',
      data: { taskId: state.taskId, attempt, provider, providerJobId, processingAt: now },
    },
  ];
}

function recordOutput(command: RecordOutputStored, state: RecordedGeneration): readonly GenerationEvent[] {
  const { assetId, index, outputCount, now } = command;
  if (!Number.isInteger(outputCount) || outputCount < 1 || !Number.isInteger(index) || index < 0 || index >= outputCount) {
    throw new DomainError('invalid_output', 'validation', `Output ${index} of ${outputCount} is not a valid output index`, {
      taskId: state.taskId,
      index,
      outputCount,
    });
  }
  if (state.outputs[index] !== undefined) return [];

  const outputs: Readonly<Record<number, string>> = { ...state.outputs, [index]: assetId };
  const assetIds = Array.from({ length: outputCount }, (_, i) => outputs[i]);
  const stored: GenerationEvent = {
    type: 'GenerationOutputStored',
    data: { taskId: state.taskId, assetId, index, outputCount, storedAt: now },
  };
  if (!assetIds.every((id): id is string => id !== undefined)) return [stored];
  return [
    stored,
    {
      type: 'GenerationCompleted',
      data: { taskId: state.taskId, accountId: state.request.accountId, assetIds, completedAt: now },
    },
  ];
}

function fail(command: FailGeneration, state: RecordedGeneration, attempt?: number): readonly GenerationEvent[] {
  const { code, message, providerDetail, now } = command;
  return [
    {
      type: 'GenerationFailed',
      data: {
        taskId: state.taskId,
        accountId: state.request.accountId,
        code,
        message,
        ...(providerDetail === undefined ? {} : { providerDetail }),
        ...(attempt === undefined ? {} : { attempt }),
        failedAt: now,
      },
    },
  ];
}

const failureMessages: Readonly<Record<FailureCode, string>> = {
  insufficient_credits: 'There were not enough credits for this task.',
  spend_cap_reached: 'This task would go over a spend cap of its API key or end user.',
  provider_error: 'The provider could not generate this image.',
  provider_rejected: 'The provider rejected this request.',
  content_moderated: "The provider's safety system blocked this request or its result.",
  timeout: 'The task did not finish before its deadline.',
  storage_error: 'An output could not be stored.',
  invalid_input: 'The request could not be processed as given.',
};

/** The people-facing sentence for a failure code. */
export const failureMessage = (code: FailureCode): string => failureMessages[code];

function providerFailure(command: HandleProviderFailure, state: OpenGeneration): readonly GenerationEvent[] {
  const { attempt, code, retryable, retryAfterSeconds, detail, plan, backoffSeconds, openCircuits = {}, now } = command;
  if (attempt < state.scheduledAttempt) return []; // an older attempt; a newer one is already on its way
  const planned = retryable ? stepOf(plan, attempt + 1) : undefined;
  const skipTo = planned && openCircuits[circuitKey(planned)] !== undefined ? firstClosedStepAfter(plan, planned, openCircuits) : undefined;
  const next = skipTo ? { ...skipTo.step, attempt: skipTo.attempt } : planned && { ...planned, attempt: attempt + 1 };
  const waitFor = next && openCircuits[circuitKey(next)];
  const notBefore = new Date(
    Math.max(Date.parse(now) + Math.max(backoffSeconds, retryAfterSeconds ?? 0) * 1000, waitFor ? Date.parse(waitFor) : 0),
  ).toISOString();
  if (next && planned && notBefore < state.deadline) {
    const circuitOpen = openCircuits[circuitKey(planned)];
    return [
      {
        type: 'GenerationRetryScheduled',
        data: {
          taskId: state.taskId,
          attempt: next.attempt,
          model: next.model,
          provider: next.provider,
          notBefore,
          reason: { code, ...(detail === undefined ? {} : { detail }) },
          ...(circuitOpen === undefined
            ? {}
            : { circuitOpen: { model: planned.model, provider: planned.provider, openUntil: circuitOpen } }),
          scheduledAt: now,
        },
      },
    ];
  }
  return fail({ type: 'FailGeneration', code, message: failureMessage(code), providerDetail: detail, now }, state, attempt);
}

/** The breaker key of a plan step (`provider~model`, as in the circuit's stream id). */
export const circuitKey = (step: Pick<AttemptStep, 'provider' | 'model'>): string => `${step.provider}~${step.model}`;

/** The first step after `from` whose circuit is closed, with the number of its first attempt. */
function firstClosedStepAfter(
  plan: readonly AttemptStep[],
  from: AttemptStep,
  openCircuits: Readonly<Record<string, string>>,
): { step: AttemptStep; attempt: number } | undefined {
  let first = 1;
  let after = false;
  for (const step of plan) {
    if (after && openCircuits[circuitKey(step)] === undefined) return { step, attempt: first };
    if (step === from) after = true;
    first += step.attempts;
  }
  return undefined;
}

/** The plan step attempt `attempt` (1-based, counted across steps) belongs to. */
function stepOf(plan: readonly AttemptStep[], attempt: number): AttemptStep | undefined {
  let last = 0;
  for (const step of plan) {
    last += step.attempts;
    if (attempt <= last) return step;
  }
  return undefined;
}

function cancel(command: CancelGeneration, state: GenerationState): readonly GenerationEvent[] {
  switch (state.status) {
    case 'initial':
      throw new DomainError('generation_not_found', 'not_found', 'There is no such generation');
    case 'created':
    case 'queued':
    case 'processing':
      return [
        {
          type: 'GenerationCanceled',
          data: { taskId: state.taskId, accountId: state.request.accountId, canceledAt: command.now },
        },
      ];
    case 'completed':
    case 'failed':
    case 'canceled':
      throw new DomainError('generation_not_cancelable', 'conflict', `A ${state.status} generation cannot be canceled`, {
        taskId: state.taskId,
        status: state.status,
      });
    default:
      return assertNever(state);
  }
}

type OpenGeneration = RecordedGeneration & { readonly status: 'created' | 'queued' | 'processing' };

function isOpen(state: GenerationState): state is OpenGeneration {
  return state.status === 'created' || state.status === 'queued' || state.status === 'processing';
}
