import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { assetStream, type AssetEvent } from '@darkroom/contracts';
import { assetDecider } from '@darkroom/domain-asset';
import { PgEventStore } from '@darkroom/event-store';
import { deriveId, type Clock } from '@darkroom/kernel';
import { S3ObjectStorage } from '@darkroom/object-storage';
import { createTestDatabase, s3TestConfig, startS3rver, uniqueName, type RunningS3rver, type TestDatabase } from '@darkroom/testing';
import { assetIdFor, assetKey } from '../asset-keys';
import { assetProjection, evolveAsset, loadAsset, type AssetRow } from '@darkroom/read-model-assets';
import { RetentionSweeper } from './retention-sweeper';

jest.setTimeout(60_000);
Logger.overrideLogger(false);

const DAY_MS = 86_400_000;
const now = new Date('2026-03-01T12:00:00.000Z');
const clock: Clock = { now: () => now };
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();

let db: TestDatabase;
let s3: RunningS3rver;
let objects: S3ObjectStorage;
let store: PgEventStore;
let sweeper: RetentionSweeper;

beforeAll(async () => {
  db = await createTestDatabase();
  s3 = await startS3rver();
  objects = new S3ObjectStorage(s3TestConfig(s3.endpoint, uniqueName('retention').replace(/_/g, '-')));
  await objects.ensureBucket();
  store = new PgEventStore(db.sql);
  sweeper = new RetentionSweeper(db.sql, store, objects, clock, { defaultDays: 30, sweepIntervalMs: 60_000 });
});
afterAll(async () => {
  objects?.destroy();
  await s3?.close();
  await db?.drop();
});

async function account(retentionDays: number | null): Promise<string> {
  const id = randomUUID();
  await db.sql.query(`INSERT INTO accounts (id, name, retention_days) VALUES ($1, 'retention', $2)`, [id, retentionDays]);
  return id;
}

interface Stored {
  readonly assetId: string;
  readonly taskId: string;
  readonly key: string;
}

/** An asset stored `age` ago: its object, its AssetStored, and its row in the read model. */
async function storedAsset(accountId: string, age: number): Promise<Stored> {
  const taskId = randomUUID();
  const assetId = assetIdFor(taskId, 0);
  const key = assetKey(accountId, taskId, 0, 'image/png');
  await objects.putObject(key, Buffer.from('png'), { contentType: 'image/png' });
  await store.handle(
    assetStream(assetId),
    assetDecider,
    {
      type: 'StoreAsset',
      assetId,
      taskId,
      accountId,
      index: 0,
      outputCount: 1,
      key,
      sha256: 'a'.repeat(64),
      bytes: 3,
      contentType: 'image/png',
      width: 1,
      height: 1,
      now: ago(age),
    },
    { metadata: { correlationId: taskId, schemaVersion: 1 }, eventId: () => deriveId('test', assetId) },
  );
  await project(assetId);
  return { assetId, taskId, key };
}

/** Brings the asset's read-model row up to date with its stream, as the projection runner would. */
async function project(assetId: string): Promise<void> {
  const events = await store.readStream<AssetEvent>(assetStream(assetId));
  const row = events.reduce<AssetRow | undefined>(evolveAsset, undefined);
  if (row) await assetProjection.save(db.sql, row);
}

const typesOf = async (asset: Stored) => (await store.readStream(assetStream(asset.assetId))).map((event) => event.type);
const exists = async (asset: Stored) => (await objects.headObject(asset.key)) !== undefined;

describe('retention sweep', () => {
  it("deletes what is past its account's retention (or the default), once, and keeps the rest", async () => {
    const shortLived = await account(1);
    const byDefault = await account(null);
    const seconds = await account(2 / 86_400); // two seconds
    const expiredOverride = await storedAsset(shortLived, 2 * DAY_MS);
    const freshOverride = await storedAsset(shortLived, 60 * 60 * 1000);
    const keptByDefault = await storedAsset(byDefault, 10 * DAY_MS);
    const expiredByDefault = await storedAsset(byDefault, 31 * DAY_MS);
    const expiredInSeconds = await storedAsset(seconds, 3_000);
    const freshInSeconds = await storedAsset(seconds, 1_000);

    expect(await sweeper.sweep()).toBe(3);

    for (const asset of [expiredOverride, expiredByDefault, expiredInSeconds]) {
      expect(await exists(asset)).toBe(false);
      expect(await typesOf(asset)).toEqual(['AssetStored', 'AssetDeleted']);
      const [, deleted] = await store.readStream(assetStream(asset.assetId));
      expect(deleted).toMatchObject({
        data: { assetId: asset.assetId, taskId: asset.taskId, deletedAt: now.toISOString() },
        metadata: { correlationId: asset.taskId },
      });
    }
    for (const asset of [freshOverride, keptByDefault, freshInSeconds]) {
      expect(await exists(asset)).toBe(true);
      expect(await typesOf(asset)).toEqual(['AssetStored']);
    }

    // The read model has not caught up yet: the same candidates decide nothing the second time.
    expect(await sweeper.sweep()).toBe(0);
    expect(await typesOf(expiredOverride)).toEqual(['AssetStored', 'AssetDeleted']);

    for (const asset of [expiredOverride, expiredByDefault, expiredInSeconds]) await project(asset.assetId);
    expect((await loadAsset(db.sql, expiredOverride.assetId))?.deletedAt).toBe(now.toISOString());
    expect(await sweeper.sweep()).toBe(0);
  });

  it('stops at a bucket outage without recording a deletion, and the next sweep finishes the job', async () => {
    const accountId = await account(1);
    const asset = await storedAsset(accountId, 3 * DAY_MS);

    await s3.stop();
    try {
      await expect(sweeper.sweep()).rejects.toThrow();
    } finally {
      await s3.start();
    }
    expect(await typesOf(asset)).toEqual(['AssetStored']);

    expect(await sweeper.sweep()).toBe(1);
    expect(await exists(asset)).toBe(false);
    expect(await typesOf(asset)).toEqual(['AssetStored', 'AssetDeleted']);
  });
});
