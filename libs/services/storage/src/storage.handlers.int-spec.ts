import { createHash, randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { assetStream, routingKey, type AssetRejected, type ProviderOutput } from '@darkroom/contracts';
import { PgEventStore } from '@darkroom/event-store';
import { systemClock } from '@darkroom/kernel';
import { EventContext, handleOnce, type EventMessage } from '@darkroom/messaging';
import { S3ObjectStorage, type ObjectStorage } from '@darkroom/object-storage';
import { ImageDecoder, RuleBasedModeration } from '@darkroom/providers';
import { createTestDatabase, s3TestConfig, startS3rver, uniqueName, type RunningS3rver, type TestDatabase } from '@darkroom/testing';
import { assetIdFor } from './asset-keys';
import { StagingCleanupHandlers } from './staging-cleanup.handlers';
import { STORAGE, StorageHandlers } from './storage.handlers';

jest.setTimeout(60_000);
Logger.overrideLogger(false);

let db: TestDatabase;
let s3: RunningS3rver;
let objects: S3ObjectStorage;
let s3Client: S3Client;
let bucket: string;
/** The sha256 the moderation list blocks, set before any test runs. */
let blockedImage: Buffer;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const png = (r: number, width = 32, height = 24) =>
  sharp({ create: { width, height, channels: 3, background: { r, g: 90, b: 160 } } }).png().toBuffer();

/** Staged outputs only: the result-URL fetcher is never reached. */
const noFetcher = {} as never;
const handlersWith = (storage: ObjectStorage) =>
  new StorageHandlers(
    systemClock,
    storage,
    noFetcher,
    new RuleBasedModeration({ blocklist: [], blockedImageSha256: [sha256(blockedImage)] }),
    new ImageDecoder(),
  );

beforeAll(async () => {
  db = await createTestDatabase();
  s3 = await startS3rver();
  bucket = uniqueName('storage').replace(/_/g, '-');
  objects = new S3ObjectStorage(s3TestConfig(s3.endpoint, bucket));
  await objects.ensureBucket();
  s3Client = new S3Client({ ...s3TestConfig(s3.endpoint, bucket), credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  blockedImage = await png(250);
});
afterAll(async () => {
  s3Client?.destroy();
  objects?.destroy();
  await s3?.close();
  await db?.drop();
});

interface Task {
  readonly taskId: string;
  readonly accountId: string;
}

const newTask = (): Task => ({ taskId: randomUUID(), accountId: randomUUID() });

/** Stages `bytes` as the provider-adapter would (any declared type) and returns the output naming them. */
async function staged(task: Task, bytes: Buffer, declared = 'image/png', attempt = 1): Promise<ProviderOutput> {
  const stagingKey = `staging/${task.taskId}/${attempt}/0`;
  await objects.putObject(stagingKey, bytes, { contentType: declared, metadata: { 'task-id': task.taskId } });
  return { index: 0, stagingKey, contentType: declared };
}

function succeeded(task: Task, outputs: readonly ProviderOutput[], attempt = 1): EventMessage {
  const streamId = `provider-job-${task.taskId}-${attempt}`;
  return {
    eventId: randomUUID(),
    streamId,
    streamVersion: 2,
    type: 'ProviderJobSucceeded',
    data: { ...task, attempt, outputs, succeededAt: new Date().toISOString() },
    metadata: { correlationId: task.taskId, accountId: task.accountId, schemaVersion: 1 },
    globalPosition: '1',
    transactionId: '1',
    recordedAt: new Date().toISOString(),
    routingKey: routingKey(streamId, 'ProviderJobSucceeded'),
  };
}

/** One delivery as the event transport makes it: inbox row, handler and events in one transaction. */
const deliver = (message: EventMessage, handlers = handlersWith(objects)) =>
  handleOnce(db.sql, STORAGE, message, (tx, store) => handlers.store(message as never, new EventContext(STORAGE, message, 1, tx, store)));

/** A run whose inbox row is not there (e.g. the first run crashed after writing the object, before its commit). */
const runAgainWithoutInbox = (message: EventMessage) =>
  db.sql.transaction((tx) => handlersWith(objects).store(message as never, new EventContext(STORAGE, message, 2, tx, new PgEventStore(tx))));

const assetEvents = (task: Task) => new PgEventStore(db.sql).readStream(assetStream(assetIdFor(task.taskId, 0)));

async function keysUnder(prefix: string): Promise<string[]> {
  const listed = await s3Client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key!).sort();
}

const generationsPrefix = (task: Task) => `accounts/${task.accountId}/generations/${task.taskId}/`;

describe('storing a staged output', () => {
  it('writes it under the DESIGN §7 key with sha256, task id and the sniffed type, and records AssetStored', async () => {
    const task = newTask();
    const bytes = await png(10);
    // The provider said webp; the bytes are a PNG.
    expect(await deliver(succeeded(task, [await staged(task, bytes, 'image/webp')]))).toBe(true);

    const key = `${generationsPrefix(task)}0.png`;
    expect(await keysUnder(generationsPrefix(task))).toEqual([key]);
    expect(await objects.headObject(key)).toMatchObject({
      contentType: 'image/png',
      contentLength: bytes.length,
      metadata: { sha256: sha256(bytes), 'task-id': task.taskId },
    });
    const events = await assetEvents(task);
    expect(events.map((event) => event.type)).toEqual(['AssetStored']);
    expect(events[0].data).toMatchObject({
      ...task,
      index: 0,
      outputCount: 1,
      key,
      sha256: sha256(bytes),
      bytes: bytes.length,
      contentType: 'image/png',
      width: 32,
      height: 24,
      stagingKey: `staging/${task.taskId}/1/0`,
    });
  });

  it('is idempotent: a redelivery, or a run that lost its inbox row, leaves one object and one AssetStored', async () => {
    const task = newTask();
    const bytes = await png(20);
    const message = succeeded(task, [await staged(task, bytes)]);
    expect(await deliver(message)).toBe(true);
    expect(await deliver(message)).toBe(false); // the inbox skips a redelivery
    await runAgainWithoutInbox(message);
    await runAgainWithoutInbox(message);

    expect(await keysUnder(generationsPrefix(task))).toEqual([`${generationsPrefix(task)}0.png`]);
    expect((await assetEvents(task)).map((event) => event.type)).toEqual(['AssetStored']);
  });

  it('never overwrites a stored output with the bytes of a second success for it', async () => {
    const task = newTask();
    const first = await png(30);
    await deliver(succeeded(task, [await staged(task, first, 'image/png', 1)], 1));
    const second = await png(31);
    expect(await deliver(succeeded(task, [await staged(task, second, 'image/png', 2)], 2))).toBe(true);

    const key = `${generationsPrefix(task)}0.png`;
    expect(sha256(await objects.getObjectBytes(key))).toBe(sha256(first));
    expect(await assetEvents(task)).toHaveLength(1);
  });
});

describe('a transient bucket failure', () => {
  it('throws (so the message is retried) and records nothing while the bucket is down; the retry stores it once', async () => {
    const task = newTask();
    const bytes = await png(40);
    const message = succeeded(task, [await staged(task, bytes)]);

    await s3.stop();
    try {
      await expect(deliver(message)).rejects.toThrow();
      await expect(deliver(message)).rejects.toThrow();
    } finally {
      await s3.start();
    }
    expect(await assetEvents(task)).toEqual([]);
    const inbox = await db.sql.query(`SELECT 1 FROM inbox WHERE consumer = $1 AND event_id = $2`, [STORAGE, message.eventId]);
    expect(inbox.rows).toHaveLength(0);

    expect(await deliver(message)).toBe(true);
    expect((await assetEvents(task)).map((event) => event.type)).toEqual(['AssetStored']);
    expect(sha256(await objects.getObjectBytes(`${generationsPrefix(task)}0.png`))).toBe(sha256(bytes));
  });

  it('rolls back when the final write fails after the staged bytes were read', async () => {
    const task = newTask();
    const message = succeeded(task, [await staged(task, await png(50))]);
    const failingWrites: ObjectStorage = Object.assign(Object.create(objects) as ObjectStorage, {
      putObject: () => Promise.reject(new Error('SlowDown: please reduce your request rate')),
    });

    await expect(deliver(message, handlersWith(failingWrites))).rejects.toThrow('SlowDown');
    expect(await assetEvents(task)).toEqual([]);
    expect(await deliver(message)).toBe(true);
    expect((await assetEvents(task)).map((event) => event.type)).toEqual(['AssetStored']);
  });
});

describe('refused outputs', () => {
  const cleanup = () => new StagingCleanupHandlers(objects);

  it('rejects an image the moderation list blocks: content_moderated, no final object, staged copy deleted after the record', async () => {
    const task = newTask();
    const output = await staged(task, blockedImage);
    await deliver(succeeded(task, [output]));

    const events = await assetEvents(task);
    expect(events.map((event) => event.type)).toEqual(['AssetRejected']);
    const rejected = events[0].data as AssetRejected['data'];
    expect(rejected).toMatchObject({ code: 'content_moderated', stagingKey: output.stagingKey });
    expect(rejected.reason).toContain(sha256(blockedImage));
    expect(await keysUnder(generationsPrefix(task))).toEqual([]);

    // The staged bytes stay until the rejection is committed and published, then go.
    expect(await objects.headObject(output.stagingKey!)).toBeDefined();
    await cleanup().afterRejected({ ...events[0], routingKey: 'asset.AssetRejected' } as never);
    expect(await keysUnder(`staging/${task.taskId}/`)).toEqual([]);
  });

  it('rejects HTML staged as image/png with storage_error (no code) and writes nothing', async () => {
    const task = newTask();
    await deliver(succeeded(task, [await staged(task, Buffer.from('<html><body>login</body></html>'))]));
    const [event] = await assetEvents(task);
    expect(event).toMatchObject({ type: 'AssetRejected', data: { reason: 'not a PNG, JPEG, WebP or GIF image' } });
    expect((event.data as AssetRejected['data']).code).toBeUndefined();
    expect(await keysUnder(generationsPrefix(task))).toEqual([]);
  });

  it('rejects a missing staged object instead of retrying it forever', async () => {
    const task = newTask();
    await deliver(succeeded(task, [{ index: 0, stagingKey: `staging/${task.taskId}/1/0`, contentType: 'image/png' }]));
    expect(await assetEvents(task)).toMatchObject([{ type: 'AssetRejected', data: { reason: 'the staged output is missing' } }]);
  });
});
