import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { assetStream, generationStream } from '@darkroom/contracts';
import { NO_STREAM, PgEventStore } from '@darkroom/event-store';
import { newId, type Clock } from '@darkroom/kernel';
import { S3ObjectStorage } from '@darkroom/object-storage';
import { createTestDatabase, s3TestConfig, startS3rver, uniqueName, type RunningS3rver, type TestDatabase } from '@darkroom/testing';
import { assetIdFor, assetKey } from '../asset-keys';
import { OrphanSweeper } from './orphan-sweeper';

jest.setTimeout(60_000);
Logger.overrideLogger(false);

const HOUR_MS = 3_600_000;
/** Every object written by the test looks two hours old to this clock. */
const later: Clock = { now: () => new Date(Date.now() + 2 * HOUR_MS) };
const options = { graceMs: HOUR_MS, sweepIntervalMs: 60_000 };

let db: TestDatabase;
let s3: RunningS3rver;
let objects: S3ObjectStorage;
let store: PgEventStore;

beforeAll(async () => {
  db = await createTestDatabase();
  s3 = await startS3rver();
  objects = new S3ObjectStorage(s3TestConfig(s3.endpoint, uniqueName('orphans').replace(/_/g, '-')));
  await objects.ensureBucket();
  store = new PgEventStore(db.sql);
});
afterAll(async () => {
  objects?.destroy();
  await s3?.close();
  await db?.drop();
});

const put = (key: string) => objects.putObject(key, Buffer.from('bytes'), { contentType: 'application/octet-stream' });
const event = (type: string, data: Record<string, unknown>, correlationId: string) => ({
  eventId: newId(),
  type,
  data,
  metadata: { correlationId, schemaVersion: 1 },
});

/** A task output whose `AssetStored` names `recordedKey` (none when undefined), and its object at `key`. */
async function output(recordedKey: 'same' | 'other' | undefined): Promise<string> {
  const accountId = randomUUID();
  const taskId = randomUUID();
  const key = assetKey(accountId, taskId, 0, 'image/png');
  await put(key);
  if (recordedKey) {
    const stored = recordedKey === 'same' ? key : assetKey(accountId, taskId, 0, 'image/webp');
    await store.append(assetStream(assetIdFor(taskId, 0)), [event('AssetStored', { key: stored }, taskId)], NO_STREAM);
  }
  return key;
}

/** Staged provider bytes of a task that has ended or not. */
async function staged(ended: boolean): Promise<string> {
  const taskId = randomUUID();
  const key = `staging/${taskId}/1/0`;
  await put(key);
  const events = [event('GenerationCreated', {}, taskId), ...(ended ? [event('GenerationFailed', {}, taskId)] : [])];
  await store.append(generationStream(taskId), events, NO_STREAM);
  return key;
}

async function keys(): Promise<string[]> {
  const page = await objects.listObjects({ limit: 1000 });
  return page.objects.map((object) => object.key).sort();
}

async function clear(): Promise<void> {
  for (const key of await keys()) await objects.deleteObject(key);
}

describe('OrphanSweeper', () => {
  beforeEach(clear);

  it('deletes outputs and staged bytes no event records, and keeps every recorded or still useful object', async () => {
    const recorded = await output('same');
    const unrecorded = await output(undefined);
    const recordedUnderAnotherKey = await output('other');
    const stagedOfEnded = await staged(true);
    const stagedOfRunning = await staged(false);
    const upload = `accounts/${randomUUID()}/uploads/${randomUUID()}.png`;
    await put(upload);

    const deleted = await new OrphanSweeper(db.sql, objects, later, options).sweep();

    expect(deleted).toBe(3);
    expect(await keys()).toEqual([recorded, stagedOfRunning, upload].sort());
    for (const gone of [unrecorded, recordedUnderAnotherKey, stagedOfEnded]) expect(await objects.headObject(gone)).toBeUndefined();
  });

  it('leaves an orphan younger than the grace period alone', async () => {
    const young = await output(undefined);
    const now: Clock = { now: () => new Date() };
    expect(await new OrphanSweeper(db.sql, objects, now, options).sweep()).toBe(0);
    expect(await keys()).toEqual([young]);
  });

  it('walks the bucket a page per pass and starts over at its end', async () => {
    for (let i = 0; i < 5; i++) await output(undefined);
    const sweeper = new OrphanSweeper(db.sql, objects, later, { ...options, pageSize: 2 });
    const perPass = [await sweeper.sweep(), await sweeper.sweep(), await sweeper.sweep()];
    expect(perPass).toEqual([2, 2, 1]);
    expect(await keys()).toEqual([]);

    // The cursor went back to the start: a new orphan before the old ones' keys is found.
    const again = await output(undefined);
    expect(await sweeper.sweep()).toBe(1);
    expect(await objects.headObject(again)).toBeUndefined();
  });
});
