import { describe, expect, it } from '@jest/globals';
import type { GenerationEvent, GenerationRequest } from '@darkroom/contracts';
import { fold } from '@darkroom/kernel';
import { generationDecider } from './generation.decider';
import { isTerminal, type GenerationState } from './generation.state';

const taskId = 'task-1';
const now = '2025-11-24T10:00:00.000Z';

describe('generation state', () => {
  it('starts initial', () => {
    expect(generationDecider.initialState()).toEqual({ status: 'initial' });
  });

  it('tracks the attempt and the stored outputs as plain data', () => {
    const state = stateAfter([created(), queued(), processing(2), outputStored(1, 'asset-b'), outputStored(0, 'asset-a')]);
    expect(state).toEqual({
      status: 'processing',
      taskId,
      request: request(),
      price: 4,
      deadline: now,
      attempt: 2,
      scheduledAttempt: 1,
      outputs: { 0: 'asset-a', 1: 'asset-b' },
    });
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });

  it.each<[string, GenerationEvent[], boolean]>([
    ['initial', [], false],
    ['created', [created()], false],
    ['queued', [created(), queued()], false],
    ['processing', [created(), queued(), processing(1)], false],
    ['completed', [created(), { type: 'GenerationCompleted', data: { taskId, accountId: 'a', assetIds: [], completedAt: now } }], true],
    ['failed', [created(), { type: 'GenerationFailed', data: { taskId, accountId: 'a', code: 'timeout', message: 'm', failedAt: now } }], true],
    ['canceled', [created(), { type: 'GenerationCanceled', data: { taskId, accountId: 'a', canceledAt: now } }], true],
  ])('%s is terminal: %s', (status, events, terminal) => {
    const state = stateAfter(events);
    expect(state.status).toBe(status);
    expect(isTerminal(state)).toBe(terminal);
  });
});

function stateAfter(events: GenerationEvent[]): GenerationState {
  return fold(generationDecider, events);
}

function request(): GenerationRequest {
  return { accountId: 'a', model: 'local', prompt: 'p', width: 64, height: 64, n: 2, seed: 1, outputFormat: 'png' };
}

function created(): GenerationEvent {
  return { type: 'GenerationCreated', data: { taskId, request: request(), price: 4, deadline: now, createdAt: now } };
}

function queued(): GenerationEvent {
  return { type: 'GenerationQueued', data: { taskId, request: request(), deadline: now, queuedAt: now } };
}

function processing(attempt: number): GenerationEvent {
  return { type: 'GenerationProcessing', data: { taskId, attempt, provider: 'local', providerJobId: 'j', processingAt: now } };
}

function outputStored(index: number, assetId: string): GenerationEvent {
  return { type: 'GenerationOutputStored', data: { taskId, assetId, index, outputCount: 2, storedAt: now } };
}
