import { assetStream, creditAccountStream, generationStream, LOG_START, type NewEvent } from '@darkroom/contracts';
import { ANY, NO_STREAM, PgEventStore } from '@darkroom/event-store';
import { newId } from '@darkroom/kernel';
import { ProjectionRebuild, ProjectionRunner, tableChecksum, type RowProjection } from '@darkroom/projections';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';
import type { GenerationRow } from './generation-row';
import { generationProjection } from './generation.projection';

jest.setTimeout(120_000);

let db: TestDatabase;
let store: PgEventStore;

beforeAll(async () => {
  db = await createTestDatabase();
  store = new PgEventStore(db.sql);
});
afterAll(() => db.drop());

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
const event = (type: string, data: Record<string, unknown>): NewEvent => ({
  eventId: newId(),
  type,
  data,
  metadata: { correlationId: String(data['taskId'] ?? data['reservationId']), schemaVersion: 1 },
});

/** One task's life in the log: completed, failed or left processing, with its credits and asset. */
async function task(accountId: string, outcome: 'completed' | 'failed' | 'processing', index: number): Promise<void> {
  const taskId = newId();
  const assetId = newId();
  const request = { accountId, model: 'local', prompt: `task ${index}`, width: 64, height: 64, n: 1, seed: index, outputFormat: 'png' };
  await store.append(generationStream(taskId), [
    event('GenerationCreated', { taskId, request, price: 2, deadline: at(10), createdAt: at(0), metadata: { i: String(index) } }),
    event('GenerationQueued', { taskId, request, deadline: at(10), queuedAt: at(1) }),
    event('GenerationProcessing', { taskId, attempt: 1, provider: 'local', providerJobId: `job-${index}`, processingAt: at(2) }),
  ], NO_STREAM);
  await store.append(creditAccountStream(accountId), [
    event('CreditsReserved', { accountId, reservationId: taskId, amount: 2, reservedAt: at(1) }),
  ], ANY);
  if (outcome === 'completed') {
    await store.append(assetStream(assetId), [
      event('AssetStored', { assetId, taskId, accountId, index: 0, outputCount: 1, key: `a/${assetId}.png`, sha256: 'ab'.repeat(32),
        bytes: 100, contentType: 'image/png', width: 64, height: 64, storedAt: at(3) }),
    ], NO_STREAM);
    await store.append(generationStream(taskId), [event('GenerationCompleted', { taskId, accountId, assetIds: [assetId], completedAt: at(4) })], 3);
    await store.append(creditAccountStream(accountId), [event('CreditsCaptured', { accountId, reservationId: taskId, amount: 2, capturedAt: at(4) })], ANY);
  }
  if (outcome === 'failed') {
    await store.append(generationStream(taskId), [
      event('GenerationFailed', { taskId, accountId, code: 'provider_error', message: 'boom', providerDetail: { status: 500 }, attempt: 1, failedAt: at(4) }),
    ], 3);
    await store.append(creditAccountStream(accountId), [
      event('CreditsReleased', { accountId, reservationId: taskId, amount: 2, releasedAt: at(4) }),
    ], ANY);
  }
}

it('rebuilds generations (rows written many at a time) equal to the live table the runner wrote row by row', async () => {
  const accountId = newId();
  const outcomes = ['completed', 'failed', 'processing'] as const;
  for (let i = 0; i < 30; i++) await task(accountId, outcomes[i % 3], i);
  const expected = (await store.readAll(LOG_START, { limit: 10_000, types: generationProjection.eventTypes })).length;
  // The live runner would use saveMany too: without it, the live table is written row by row,
  // so the checksums below prove that saveMany writes exactly what save does.
  const rowByRow: RowProjection<GenerationRow> = { ...generationProjection, saveMany: undefined };
  const runner = new ProjectionRunner(db.sql, rowByRow, { batchSize: 17 });
  for (let i = 0; i < 400 && (await tableChecksum(db.sql, 'public', 'generations')).rows < 30; i++) {
    await runner.catchUp();
    await new Promise((resolve) => setTimeout(resolve, 25));
  }

  const verify = await new ProjectionRebuild(db.sql, generationProjection, newId(), { batchSize: 40, cacheSize: 7 }).run('verify');
  expect(verify.eventsDone).toBeGreaterThanOrEqual(expected);
  expect(verify.rebuilt.rows).toBe(30);
  expect(verify.rebuilt).toEqual(verify.live);

  const rebuild = await new ProjectionRebuild(db.sql, generationProjection, newId()).run('rebuild');
  expect(rebuild.rebuilt).toEqual(verify.live);
  expect(await tableChecksum(db.sql, 'public', 'generations')).toEqual(verify.live);
  const { rows } = await db.sql.query<{ status: string; n: string }>(
    `SELECT status, count(*)::text AS n FROM generations GROUP BY status ORDER BY status`,
  );
  expect(rows).toEqual([
    { status: 'completed', n: '10' },
    { status: 'failed', n: '10' },
    { status: 'processing', n: '10' },
  ]);
});
