import { describe, expect, it } from '@jest/globals';
import { recordedEvent } from '@darkroom/testing';
import { publicEventData, toTimeline } from './generation-timeline';

const TASK = '00000000-0000-4000-8000-000000000001';

describe('publicEventData', () => {
  it('drops upload bucket keys from the request but keeps the upload ids and the caller metadata', () => {
    const data = {
      taskId: TASK,
      request: { prompt: 'p', inputImages: [{ uploadId: 'u1', key: 'uploads/a1/u1', contentType: 'image/png' }] },
      metadata: { key: 'the caller’s own' },
    };
    expect(publicEventData('GenerationCreated', data)).toEqual({
      taskId: TASK,
      request: { prompt: 'p', inputImages: [{ uploadId: 'u1', contentType: 'image/png' }] },
      metadata: { key: 'the caller’s own' },
    });
  });

  it('drops staging keys, object keys, provider URLs and job handles', () => {
    expect(publicEventData('ProviderJobSubmitted', { providerJobId: 'j', handle: { poll: 'https://p/x' } })).toEqual({ providerJobId: 'j' });
    expect(publicEventData('ProviderJobSucceeded', { outputs: [{ index: 0, stagingKey: 's', url: 'https://p/r', contentType: 'image/png' }] })).toEqual({
      outputs: [{ index: 0, contentType: 'image/png' }],
    });
    expect(publicEventData('AssetStored', { assetId: 'x', key: 'accounts/a/x.png', stagingKey: 's', sha256: 'h' })).toEqual({ assetId: 'x', sha256: 'h' });
    expect(publicEventData('AssetRejected', { assetId: 'x', stagingKey: 's', reason: 'r' })).toEqual({ assetId: 'x', reason: 'r' });
  });

  it('keeps other events as stored', () => {
    const data = { reservationId: TASK, amount: 2 };
    expect(publicEventData('CreditsReserved', data)).toBe(data);
  });
});

describe('toTimeline', () => {
  const meta = (accountId: string) => ({ correlationId: TASK, accountId, schemaVersion: 1 });

  it('keeps the task’s own streams and its own reservation, in the given order, in snake_case', () => {
    const events = [
      recordedEvent('GenerationCreated', { taskId: TASK, request: { negativePrompt: 'n' }, metadata: { orderId: '7' } }, { streamId: `generation-${TASK}`, metadata: meta('a1') }),
      recordedEvent('CreditsReserved', { reservationId: TASK }, { streamId: 'credit-account-a1', metadata: meta('a1') }),
      recordedEvent('CreditsGranted', { grantId: 'g' }, { streamId: 'credit-account-a1', metadata: meta('a1') }),
      recordedEvent('AssetStored', { assetId: 'x', key: 'k' }, { streamId: 'asset-x', metadata: meta('a1') }),
      recordedEvent('SomethingElse', {}, { streamId: 'webhook-delivery-1', metadata: meta('a1') }),
      recordedEvent('ProviderCircuitOpened', { taskId: TASK }, { streamId: 'provider-circuit-gemini~nano-banana', metadata: meta('a1') }),
    ];
    const timeline = toTimeline(events, TASK, 'a1');
    expect(timeline.map((entry) => entry.type)).toEqual(['GenerationCreated', 'CreditsReserved', 'AssetStored', 'ProviderCircuitOpened']);
    expect(timeline[0]!.data).toEqual({ task_id: TASK, request: { negative_prompt: 'n' }, metadata: { orderId: '7' } });
    expect(timeline[1]!.data).toEqual({ reservation_id: TASK });
    expect(timeline[2]).toEqual({
      id: events[3]!.eventId,
      type: 'AssetStored',
      stream: 'asset-x',
      stream_version: events[3]!.streamVersion,
      position: events[3]!.globalPosition,
      recorded_at: events[3]!.recordedAt,
      data: { asset_id: 'x' },
    });
  });

  it('never shows an event recorded for another account', () => {
    const events = [recordedEvent('GenerationQueued', { taskId: TASK }, { streamId: `generation-${TASK}`, metadata: meta('a2') })];
    expect(toTimeline(events, TASK, 'a1')).toEqual([]);
  });
});
