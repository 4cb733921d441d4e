import { describe, expect, it } from '@jest/globals';
import { recordedEvent } from '@darkroom/testing';
import { taskAsOf } from './outbound-webhooks.handlers';

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds)).toISOString();

const created = recordedEvent('GenerationCreated', {
  taskId: 't1',
  request: { accountId: 'a1', model: 'local', prompt: 'p', width: 64, height: 64, n: 1, seed: 1, outputFormat: 'png' },
  price: 1,
  deadline: at(59),
  createdAt: at(0),
});
const canceled = recordedEvent('GenerationCanceled', { taskId: 't1', accountId: 'a1', canceledAt: at(2) });
const released = recordedEvent('CreditsReleased', { accountId: 'a1', reservationId: 't1', amount: 1, reason: 'generation_canceled' });
const unrelated = recordedEvent('ProviderJobCanceled', { taskId: 't1', attempt: 1 });

describe('taskAsOf', () => {
  it('folds the task up to and including the terminal event, so a replay builds the same payload', () => {
    const atCancel = taskAsOf([created, unrelated, canceled, released], canceled.eventId);
    expect(atCancel).toMatchObject({ id: 't1', status: 'canceled', canceledAt: at(2) });
    expect(taskAsOf([created, unrelated, canceled], canceled.eventId)).toEqual(atCancel);
  });

  it('has no task without its GenerationCreated', () => {
    expect(taskAsOf([canceled], canceled.eventId)).toBeUndefined();
  });
});
