import { describe, expect, it } from '@jest/globals';
import type { RecordedEvent } from '@darkroom/contracts';
import { recordedEvent } from '@darkroom/testing';
import { statusTransitions, transitionsToSend } from './status-transitions';

const TASK = '00000000-0000-4000-8000-000000000001';
const at = (second: number) => new Date(Date.UTC(2026, 10, 24, 0, 0, second)).toISOString();

let position = 100;
function onStream(streamId: string, type: string, data: unknown): RecordedEvent {
  position += 10;
  return recordedEvent(type, data, { streamId, globalPosition: String(position) });
}
const generation = (type: string, data: Record<string, unknown>) => onStream(`generation-${TASK}`, type, { taskId: TASK, ...data });
const credit = (type: string) => onStream('credit-account-a1', type, { reservationId: TASK, accountId: 'a1', amount: 1 });

const created = () =>
  generation('GenerationCreated', {
    request: { accountId: 'a1', model: 'local', prompt: 'p', width: 64, height: 64, n: 1, seed: 1, outputFormat: 'png' },
    price: 1,
    deadline: at(60),
    createdAt: at(0),
  });

describe('statusTransitions', () => {
  it('yields one transition per status, identified by the position of the generation event that set it', () => {
    const events = [
      created(),
      credit('CreditsReserved'),
      generation('GenerationQueued', { queuedAt: at(1) }),
      generation('GenerationProcessing', { attempt: 1, provider: 'local', providerJobId: 'j', processingAt: at(2) }),
      generation('GenerationCompleted', { accountId: 'a1', assetIds: [], completedAt: at(3) }),
    ];
    const transitions = statusTransitions(events);
    expect(transitions.map((t) => t.row.status)).toEqual(['created', 'queued', 'processing', 'completed']);
    expect(transitions.map((t) => String(t.id))).toEqual([events[0], events[2], events[3], events[4]].map((e) => e.globalPosition));
  });

  it('folds later facts into the snapshot of the status they happened in', () => {
    const transitions = statusTransitions([
      created(),
      credit('CreditsReserved'),
      generation('GenerationQueued', { queuedAt: at(1) }),
      generation('GenerationCompleted', { accountId: 'a1', assetIds: [], completedAt: at(3) }),
      credit('CreditsCaptured'),
    ]);
    expect(transitions.map((t) => [t.row.status, t.row.creditsState])).toEqual([
      ['created', 'reserved'],
      ['queued', 'reserved'],
      ['completed', 'captured'],
    ]);
  });

  it('does not count a second processing attempt or a scheduled retry as a status change', () => {
    const transitions = statusTransitions([
      created(),
      generation('GenerationQueued', { queuedAt: at(1) }),
      generation('GenerationProcessing', { attempt: 1, provider: 'local', providerJobId: 'j1', processingAt: at(2) }),
      generation('GenerationRetryScheduled', { attempt: 2, model: 'local', provider: 'local', notBefore: at(3), reason: { code: 'provider_error' }, scheduledAt: at(3) }),
      generation('GenerationProcessing', { attempt: 2, provider: 'local', providerJobId: 'j2', processingAt: at(4) }),
    ]);
    expect(transitions.map((t) => t.row.status)).toEqual(['created', 'queued', 'processing']);
    expect(transitions[2]?.row.attempts).toBe(2);
  });

  it('finds nothing before the task was created', () => {
    expect(statusTransitions([credit('CreditsReserved')])).toEqual([]);
  });
});

describe('transitionsToSend', () => {
  const transitions = statusTransitions([
    created(),
    generation('GenerationQueued', { queuedAt: at(1) }),
    generation('GenerationCompleted', { accountId: 'a1', assetIds: [], completedAt: at(3) }),
  ]);
  const ids = transitions.map((t) => t.id);

  it('sends only the current status on a first connect', () => {
    expect(transitionsToSend(transitions, undefined).map((t) => t.row.status)).toEqual(['completed']);
  });

  it('sends every later status after a Last-Event-ID, and nothing after the last one', () => {
    expect(transitionsToSend(transitions, ids[0]).map((t) => t.row.status)).toEqual(['queued', 'completed']);
    expect(transitionsToSend(transitions, ids[2])).toEqual([]);
  });
});
