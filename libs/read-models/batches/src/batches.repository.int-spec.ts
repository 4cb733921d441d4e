import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newId } from '@darkroom/kernel';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';
import { countItemEnded, insertBatch, loadBatch } from './batches.repository';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describe('batches against PostgreSQL', () => {
  it("answers a batch's end with its last item, counted by outcome, and only to its account", async () => {
    const batchId = newId();
    const accountId = newId();
    const tasks = [newId(), newId(), newId()];
    await insertBatch(
      db.sql,
      { id: batchId, accountId, itemCount: 3, price: 3, createdAt: '2026-12-08T10:00:00.000Z' },
      tasks.map((taskId, index) => ({ index, taskId, customId: index === 0 ? 'first' : null })),
    );
    expect(await loadBatch(db.sql, newId(), batchId)).toBeUndefined();
    expect((await loadBatch(db.sql, accountId, batchId))?.items).toEqual([
      { index: 0, taskId: tasks[0], customId: 'first' },
      { index: 1, taskId: tasks[1], customId: null },
      { index: 2, taskId: tasks[2], customId: null },
    ]);
    expect(await countItemEnded(db.sql, tasks[0]!, 'completed')).toBeUndefined();
    expect(await countItemEnded(db.sql, newId(), 'completed')).toBeUndefined();
    const [a, b] = await Promise.all([countItemEnded(db.sql, tasks[1]!, 'canceled'), countItemEnded(db.sql, tasks[2]!, 'failed')]);
    expect([a, b].filter(Boolean)).toEqual([{ batchId, accountId, counts: { total: 3, completed: 1, failed: 1, canceled: 1 } }]);
  });
});
