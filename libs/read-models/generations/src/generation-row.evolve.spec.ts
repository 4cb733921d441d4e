import type { Recorded } from '@darkroom/contracts';
import { recordedEvent } from '@darkroom/testing';
import type { GenerationRow } from './generation-row';
import { evolveGenerationRow, type GenerationRowEvent } from './generation-row.evolve';

describe('generations projection', () => {
  it('starts a row at created with pending credits', () => {
    const row = project([created()]);
    expect(row).toMatchObject({ id: 't1', accountId: 'a1', status: 'created', creditsState: 'pending', price: 2 });
  });

  it('records each state with its time, the attempt and the assets in output order', () => {
    const row = project([
      created(),
      recorded('CreditsReserved', { reservationId: 't1', accountId: 'a1', amount: 2 }),
      recorded('GenerationQueued', { taskId: 't1', queuedAt: at(1) }),
      recorded('GenerationProcessing', { taskId: 't1', attempt: 1, processingAt: at(2) }),
      stored('x1', 1),
      recorded('GenerationOutputStored', { taskId: 't1', assetId: 'x1', index: 1 }),
      stored('x0', 0),
      recorded('GenerationOutputStored', { taskId: 't1', assetId: 'x0', index: 0 }),
      recorded('GenerationCompleted', { taskId: 't1', assetIds: ['x0', 'x1'], completedAt: at(3) }),
      recorded('CreditsCaptured', { reservationId: 't1', accountId: 'a1', amount: 2 }),
    ]);
    expect(row).toMatchObject({
      status: 'completed',
      queuedAt: at(1),
      processingAt: at(2),
      completedAt: at(3),
      attempts: 1,
      creditsState: 'captured',
    });
    expect(row?.assets).toEqual([
      { id: 'x0', index: 0, contentType: 'image/png', width: 64, height: 64, bytes: 100, sha256: 'sha-x0', deletedAt: null },
      { id: 'x1', index: 1, contentType: 'image/png', width: 64, height: 64, bytes: 101, sha256: 'sha-x1', deletedAt: null },
    ]);
  });

  it('keeps one entry per asset when storage reports it twice, and marks a deleted one', () => {
    const row = project([
      created(),
      stored('x0', 0),
      stored('x0', 0),
      recorded('AssetDeleted', { assetId: 'x0', taskId: 't1', deletedAt: at(9) }),
    ]);
    expect(row?.assets).toEqual([expect.objectContaining({ id: 'x0', deletedAt: at(9) })]);
  });

  it('keeps the failure code, message and provider detail', () => {
    const row = project([
      created(),
      recorded('CreditsReservationRejected', { reservationId: 't1', accountId: 'a1', amount: 2, available: 1 }),
      recorded('GenerationFailed', { taskId: 't1', code: 'insufficient_credits', message: 'no', failedAt: at(4) }),
    ]);
    expect(row).toMatchObject({
      status: 'failed',
      failedAt: at(4),
      creditsState: 'rejected',
      error: { code: 'insufficient_credits', message: 'no' },
    });
  });

  it('counts every attempt made, even when the last attempt start is handled after the failure', () => {
    const retry = (attempt: number) => recorded('GenerationRetryScheduled', { taskId: 't1', attempt, model: 'm', provider: 'p', notBefore: at(2) });
    const processing = (attempt: number) =>
      recorded('GenerationProcessing', { taskId: 't1', attempt, provider: 'p', providerJobId: 'j', processingAt: at(1) });
    const failed = recorded('GenerationFailed', { taskId: 't1', code: 'provider_error', message: 'x', attempt: 3, failedAt: at(5) });
    expect(project([created(), processing(1), retry(2), retry(3), failed])?.attempts).toBe(3);
    expect(project([created(), processing(1), retry(2)])?.attempts).toBe(1);
    expect(project([created(), processing(2), processing(1)])?.attempts).toBe(2);
  });

  it('marks a canceled task and its released credits', () => {
    const row = project([
      created(),
      recorded('GenerationCanceled', { taskId: 't1', canceledAt: at(5) }),
      recorded('CreditsReleased', { reservationId: 't1', accountId: 'a1', amount: 2 }),
    ]);
    expect(row).toMatchObject({ status: 'canceled', canceledAt: at(5), creditsState: 'released' });
  });

  it('ignores events of a task it has not seen created', () => {
    expect(project([recorded('GenerationQueued', { taskId: 't1', queuedAt: at(1) })])).toBeUndefined();
  });
});

function project(events: Recorded<GenerationRowEvent>[]): GenerationRow | undefined {
  return events.reduce<GenerationRow | undefined>(evolveGenerationRow, undefined);
}

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();

function created(): Recorded<GenerationRowEvent> {
  return recorded('GenerationCreated', {
    taskId: 't1',
    request: { accountId: 'a1', model: 'local', prompt: 'p', width: 64, height: 64, n: 2, seed: 1, outputFormat: 'png' },
    price: 2,
    deadline: at(59),
    createdAt: at(0),
  });
}

const recorded = (type: GenerationRowEvent['type'], data: Record<string, unknown>) => recordedEvent<GenerationRowEvent>(type, data);

const stored = (assetId: string, index: number) =>
  recorded('AssetStored', {
    assetId,
    taskId: 't1',
    accountId: 'a1',
    index,
    outputCount: 2,
    key: `k/${index}`,
    sha256: `sha-${assetId}`,
    bytes: 100 + index,
    contentType: 'image/png',
    width: 64,
    height: 64,
    storedAt: at(2),
  });
