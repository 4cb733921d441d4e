import type { GenerationEvent } from '@darkroom/contracts';
import { assertNever, DomainError } from '@darkroom/kernel';
import type {
  CancelGeneration,
  CreateGeneration,
  FailGeneration,
  GenerationCommand,
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
      return state.status === 'created'
        ? [
            {
              type: 'GenerationQueued',
              data: { taskId: state.taskId, request: state.request, deadline: state.deadline, queuedAt: command.now },
            },
          ]
        : [];
    case 'StartProcessing':
      return startProcessing(command, state);
    case 'RecordOutputStored':
      return state.status === 'queued' || state.status === 'processing' ? recordOutput(command, state) : [];
    case 'FailGeneration':
      return isOpen(state) ? fail(command, state) : [];
    case 'CancelGeneration':
      return cancel(command, state);
    default:
      return assertNever(command);
  }
}

function create(command: CreateGeneration): readonly GenerationEvent[] {
  const { taskId, request, price, deadline, idempotencyKey, metadata, now } = command;
  return [
    {
      type: 'GenerationCreated',
      data: {
        taskId,
        request,
        price,
        deadline,
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
        ...(metadata === undefined ? {} : { metadata }),
        createdAt: now,
      },
    },
  ];
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

function fail(command: FailGeneration, state: RecordedGeneration): readonly GenerationEvent[] {
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
        failedAt: now,
      },
    },
  ];
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
