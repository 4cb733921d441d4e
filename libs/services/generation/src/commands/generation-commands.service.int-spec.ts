import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generationStream, type GenerationRequest, type NewGeneration } from '@darkroom/contracts';
import { PgEventStore } from '@darkroom/event-store';
import { newId, type Clock } from '@darkroom/kernel';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';
import { GenerationCommandsService } from './generation-commands.service';

const now = new Date('2026-01-01T00:00:00.000Z');
const clock: Clock = { now: () => now };

let db: TestDatabase;
let store: PgEventStore;
let commands: GenerationCommandsService;

beforeAll(async () => {
  db = await createTestDatabase();
  store = new PgEventStore(db.sql);
  commands = new GenerationCommandsService(db.sql, store, clock);
});
afterAll(async () => {
  await db?.drop();
});

describe('GenerationCommandsService against PostgreSQL', () => {
  it('creates a batch and its items, each queued, in one transaction; the same batch again creates nothing', async () => {
    const batchId = newId();
    const accountId = newId();
    const items = Array.from({ length: 3 }, (_, index) => ({ ...generation({}), taskId: newId(), ...(index === 1 ? { customId: 'second' } : {}) }));
    let alongside = 0;
    const batch = { batchId, accountId, requestId: 'req-b', items };
    await commands.createBatch(batch, async () => {
      alongside += 1;
    });
    await commands.createBatch(batch, async () => {
      alongside += 1;
    });
    expect(alongside).toBe(1);
    for (const item of items) {
      const events = await store.readStream(generationStream(item.taskId));
      expect(events.map((event) => event.type)).toEqual(['GenerationCreated', 'GenerationQueued']);
      expect(events[0]!.data).toMatchObject({ batchId });
    }
    const { rows } = await db.sql.query(`SELECT index, task_id, custom_id FROM batch_items WHERE batch_id = $1 ORDER BY index`, [batchId]);
    expect(rows).toEqual(items.map((item, index) => ({ index, task_id: item.taskId, custom_id: index === 1 ? 'second' : null })));
  });

  it('creates no batch row when an item cannot be created: all or nothing', async () => {
    const taken = await commands.create(generation({ taskId: newId() }));
    const batchId = newId();
    const items = [{ ...generation({}), taskId: newId() }, { ...generation({}), taskId: taken.data.taskId }];
    await commands.createBatch({ batchId, accountId: newId(), requestId: 'req-c', items }, async () => {
      throw new Error('the key row could not be written');
    }).catch(() => undefined);
    const { rows } = await db.sql.query(`SELECT 1 FROM batches WHERE id = $1`, [batchId]);
    expect(rows).toEqual([]);
    expect(await store.readStream(generationStream(items[0]!.taskId))).toEqual([]);
  });

  it('creates the task with its deadline counted from the same instant as its creation', async () => {
    const created = await commands.create(generation({ taskId: newId() }));
    expect(created.data).toMatchObject({ createdAt: now.toISOString(), deadline: '2026-01-01T00:02:00.000Z', price: 4 });
    expect((await store.readStream(generationStream(created.data.taskId))).map((event) => event.type)).toEqual(['GenerationCreated']);
  });

  it('commits the write alongside with the task, and rolls the task back when that write fails', async () => {
    const kept = newId();
    await commands.create(generation({ taskId: kept }), async (tx) => {
      await tx.query(`SELECT 1`);
    });
    expect(await store.readStream(generationStream(kept))).toHaveLength(1);

    const dropped = newId();
    const failing = commands.create(generation({ taskId: dropped }), async () => {
      throw new Error('claim lost');
    });
    await expect(failing).rejects.toThrow('claim lost');
    expect(await store.readStream(generationStream(dropped))).toEqual([]);
  });

  it('refuses to report a task it did not create (the stream already held one)', async () => {
    const taskId = newId();
    await commands.create(generation({ taskId }));
    await expect(commands.create(generation({ taskId }))).rejects.toThrow(`Generation ${taskId} was not created`);
  });

  it('cancels a task', async () => {
    const created = await commands.create(generation({}));
    const { taskId } = created.data;
    await commands.cancel({ taskId, accountId: created.data.request.accountId, requestId: 'req-2' });
    expect((await store.readStream(generationStream(taskId))).map((event) => event.type)).toEqual(['GenerationCreated', 'GenerationCanceled']);
  });
});

function generation(extra: Partial<NewGeneration>): NewGeneration {
  const request: GenerationRequest = {
    accountId: newId(),
    model: 'local',
    prompt: 'a lighthouse',
    width: 512,
    height: 512,
    n: 1,
    seed: 1,
    outputFormat: 'png',
  };
  return { request, price: 4, deadlineSeconds: 120, requestId: 'req-1', ...extra };
}
