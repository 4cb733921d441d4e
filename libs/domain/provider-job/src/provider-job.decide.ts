import type { ProviderJobEvent } from '@darkroom/contracts';
import { assertNever } from '@darkroom/kernel';
import type { ProviderJobCommand, SubmitProviderJob } from './provider-job.commands';
import type { ProviderJobState } from './provider-job.state';

/**
 * Polls and webhooks race: the first terminal observation wins and every later one, or
 * any observation of a job never submitted, decides nothing.
 */
export function decideProviderJob(command: ProviderJobCommand, state: ProviderJobState): readonly ProviderJobEvent[] {
  if (command.type === 'SubmitProviderJob') return state.status === 'initial' ? submit(command) : [];
  if (state.status !== 'submitted') return [];
  const { taskId, accountId, attempt } = state;
  switch (command.type) {
    case 'ObserveProviderJob': {
      const { providerStatus, source, now } = command;
      return [{ type: 'ProviderJobObserved', data: { taskId, attempt, providerStatus, source, observedAt: now } }];
    }
    case 'SucceedProviderJob':
      return [
        { type: 'ProviderJobSucceeded', data: { taskId, accountId, attempt, outputs: command.outputs, succeededAt: command.now } },
      ];
    case 'FailProviderJob': {
      const { code, retryable, detail, now } = command;
      return [
        {
          type: 'ProviderJobFailed',
          data: { taskId, accountId, attempt, code, retryable, ...(detail === undefined ? {} : { detail }), failedAt: now },
        },
      ];
    }
    case 'CancelProviderJob':
      return [{ type: 'ProviderJobCanceled', data: { taskId, attempt, canceledAt: command.now } }];
    default:
      return assertNever(command);
  }
}

function submit(command: SubmitProviderJob): readonly ProviderJobEvent[] {
  const { taskId, accountId, attempt, provider, providerModel, providerJobId, now } = command;
  return [
    {
      type: 'ProviderJobSubmitted',
      data: { taskId, accountId, attempt, provider, providerModel, providerJobId, submittedAt: now },
    },
  ];
}
