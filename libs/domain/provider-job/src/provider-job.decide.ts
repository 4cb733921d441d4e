import type { ProviderJobEvent } from '@darkroom/contracts';
import { assertNever } from '@darkroom/kernel';
import type { ProviderJobCommand, SubmitProviderJob } from './provider-job.commands';
import type { ProviderJobState, SubmittedProviderJob } from './provider-job.state';

/**
 * Polls and webhooks race: the first terminal observation wins and every later one, or
 * any observation of a job never submitted, decides nothing. After the task ended
 * (`abandoned`) the first result is recorded as late, and never as a success.
 */
export function decideProviderJob(command: ProviderJobCommand, state: ProviderJobState): readonly ProviderJobEvent[] {
  if (command.type === 'SubmitProviderJob') return state.status === 'initial' ? submit(command) : [];
  if (state.status === 'abandoned') return late(command, state);
  if (state.status !== 'submitted') return [];
  const { taskId, accountId, attempt } = state;
  switch (command.type) {
    case 'ObserveProviderJob': {
      const { providerStatus, source, queuePosition, now } = command;
      if (providerStatus === state.lastObserved) return [];
      return [
        {
          type: 'ProviderJobObserved',
          data: { taskId, attempt, providerStatus, source, ...(queuePosition === undefined ? {} : { queuePosition }), observedAt: now },
        },
      ];
    }
    case 'SucceedProviderJob':
      return [
        { type: 'ProviderJobSucceeded', data: { taskId, accountId, attempt, outputs: command.outputs, succeededAt: command.now } },
      ];
    case 'FailProviderJob': {
      const { code, retryable, retryAfterSeconds, detail, now } = command;
      return [
        {
          type: 'ProviderJobFailed',
          data: {
            taskId,
            accountId,
            attempt,
            code,
            retryable,
            ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
            ...(detail === undefined ? {} : { detail }),
            failedAt: now,
          },
        },
      ];
    }
    case 'CancelProviderJob':
      return [{ type: 'ProviderJobCanceled', data: { taskId, attempt, canceledAt: command.now } }];
    case 'AbandonProviderJob':
      return [{ type: 'ProviderJobAbandoned', data: { taskId, attempt, reason: command.reason, abandonedAt: command.now } }];
    default:
      return assertNever(command);
  }
}

const lateOutcomes = {
  SucceedProviderJob: 'succeeded',
  FailProviderJob: 'failed',
  CancelProviderJob: 'canceled',
} as const;

function late(command: ProviderJobCommand, state: SubmittedProviderJob): readonly ProviderJobEvent[] {
  if (state.lateRecorded || !(command.type in lateOutcomes)) return [];
  const outcome = lateOutcomes[command.type as keyof typeof lateOutcomes];
  return [
    { type: 'ProviderJobLateResult', data: { taskId: state.taskId, attempt: state.attempt, outcome, observedAt: command.now } },
  ];
}

function submit(command: SubmitProviderJob): readonly ProviderJobEvent[] {
  const { taskId, accountId, attempt, model, provider, providerModel, providerJobId, handle, now } = command;
  return [
    {
      type: 'ProviderJobSubmitted',
      data: {
        taskId,
        accountId,
        attempt,
        model,
        provider,
        providerModel,
        providerJobId,
        ...(handle === undefined ? {} : { handle }),
        submittedAt: now,
      },
    },
  ];
}
