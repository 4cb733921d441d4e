import { describe, it } from '@jest/globals';
import type { FailureCode, ProviderJobEvent, ProviderOutput } from '@darkroom/contracts';
import { deciderSpec } from '@darkroom/testing';
import type { ProviderJobCommand } from './provider-job.commands';
import { providerJobDecider } from './provider-job.decider';

const taskId = 'task-1';
const accountId = 'account-1';
const attempt = 2;
const now = '2025-11-24T10:00:00.000Z';
const later = '2025-11-24T10:00:05.000Z';

const spec = deciderSpec(providerJobDecider);

describe('provider job decider', () => {
  describe('initial', () => {
    it('records the submission', () => {
      spec.given([]).when(submit()).then([submitted()]);
    });

    it.each<ProviderJobCommand>([observe('running', 'poll'), succeed(), fail(), cancel()])(
      'ignores $type for a job never submitted',
      (command) => spec.given([]).when(command).then([]),
    );
  });

  describe('submitted', () => {
    const history = (): ProviderJobEvent[] => [submitted()];

    it('ignores a second submission', () => {
      spec.given(history()).when(submit()).then([]);
    });

    it('records a status seen by a poll', () => {
      spec.given(history()).when(observe('running', 'poll')).then([observed('running', 'poll')]);
    });

    it('records a status seen by a webhook after earlier observations', () => {
      spec
        .given([...history(), observed('queued', 'poll')])
        .when(observe('running', 'webhook'))
        .then([observed('running', 'webhook')]);
    });

    it('succeeds with the outputs and the account from the submission', () => {
      spec.given(history()).when(succeed()).then([succeeded()]);
    });

    it('fails with a retryable provider error and its detail', () => {
      spec
        .given(history())
        .when(fail('provider_error', true, { status: 503 }))
        .then([failed('provider_error', true, { status: 503 })]);
    });

    it('fails without detail', () => {
      spec.given(history()).when(fail('provider_rejected', false)).then([failed('provider_rejected', false)]);
    });

    it('cancels', () => {
      spec.given(history()).when(cancel()).then([canceled()]);
    });

    it('records a repeated status only once', () => {
      spec.given([...history(), observed('running', 'poll')]).when(observe('running', 'webhook')).then([]);
    });

    it('is abandoned when the task ends while it is open', () => {
      spec.given(history()).when(abandon()).then([abandoned()]);
    });
  });

  describe('abandoned (the task timed out or was canceled)', () => {
    const history = (): ProviderJobEvent[] => [submitted(), abandoned()];

    it('records a success that arrives afterwards as late, not as a success', () => {
      spec.given(history()).when(succeed()).then([lateResult('succeeded')]);
    });

    it('records a late failure', () => {
      spec.given(history()).when(fail()).then([lateResult('failed')]);
    });

    it('records only the first late result', () => {
      spec.given([...history(), lateResult('succeeded')]).when(succeed(later)).then([]);
    });

    it('ignores observations and a second abandonment', () => {
      spec.given(history()).when(observe('processing', 'poll')).then([]);
      spec.given(history()).when(abandon()).then([]);
    });
  });

  describe.each<[string, ProviderJobEvent]>([
    ['succeeded', succeeded()],
    ['failed', failed('provider_error', true)],
    ['canceled', canceled()],
  ])('%s', (_, terminal) => {
    const history = (): ProviderJobEvent[] => [submitted(), terminal];

    it('ignores a second success (first terminal observation wins)', () => {
      spec.given(history()).when(succeed(later)).then([]);
    });

    it('ignores a late failure', () => {
      spec.given(history()).when(fail('timeout', false)).then([]);
    });

    it('ignores a cancel', () => {
      spec.given(history()).when(cancel()).then([]);
    });

    it('ignores a late observation', () => {
      spec.given(history()).when(observe('succeeded', 'webhook')).then([]);
    });

    it('ignores a second submission', () => {
      spec.given(history()).when(submit()).then([]);
    });
  });
});

function outputs(): ProviderOutput[] {
  return [
    { index: 0, stagingKey: 'staging/task-1/2/0.png', contentType: 'image/png' },
    { index: 1, url: 'https://provider.example/1.png' },
  ];
}

function submit(): ProviderJobCommand {
  return { type: 'SubmitProviderJob', taskId, accountId, attempt, model: 'local', provider: 'local', providerModel: 'sd', providerJobId: 'job-1', now };
}

function observe(providerStatus: string, source: 'poll' | 'webhook'): ProviderJobCommand {
  return { type: 'ObserveProviderJob', providerStatus, source, now };
}

function succeed(at = now): ProviderJobCommand {
  return { type: 'SucceedProviderJob', outputs: outputs(), now: at };
}

function fail(code: FailureCode = 'provider_error', retryable = true, detail?: unknown): ProviderJobCommand {
  return { type: 'FailProviderJob', code, retryable, ...(detail === undefined ? {} : { detail }), now };
}

function cancel(): ProviderJobCommand {
  return { type: 'CancelProviderJob', now };
}

function abandon(): ProviderJobCommand {
  return { type: 'AbandonProviderJob', reason: 'timeout', now };
}

function abandoned(): ProviderJobEvent {
  return { type: 'ProviderJobAbandoned', data: { taskId, attempt, reason: 'timeout', abandonedAt: now } };
}

function lateResult(outcome: 'succeeded' | 'failed'): ProviderJobEvent {
  return { type: 'ProviderJobLateResult', data: { taskId, attempt, outcome, observedAt: now } };
}

function submitted(): ProviderJobEvent {
  return {
    type: 'ProviderJobSubmitted',
    data: { taskId, accountId, attempt, model: 'local', provider: 'local', providerModel: 'sd', providerJobId: 'job-1', submittedAt: now },
  };
}

function observed(providerStatus: string, source: 'poll' | 'webhook'): ProviderJobEvent {
  return { type: 'ProviderJobObserved', data: { taskId, attempt, providerStatus, source, observedAt: now } };
}

function succeeded(): ProviderJobEvent {
  return { type: 'ProviderJobSucceeded', data: { taskId, accountId, attempt, outputs: outputs(), succeededAt: now } };
}

function failed(code: FailureCode, retryable: boolean, detail?: unknown): ProviderJobEvent {
  return {
    type: 'ProviderJobFailed',
    data: { taskId, accountId, attempt, code, retryable, ...(detail === undefined ? {} : { detail }), failedAt: now },
  };
}

function canceled(): ProviderJobEvent {
  return { type: 'ProviderJobCanceled', data: { taskId, attempt, canceledAt: now } };
}
