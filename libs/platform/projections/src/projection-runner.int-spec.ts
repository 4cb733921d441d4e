import { LOG_START, type NewEvent, type RecordedEvent } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import { NO_STREAM, PgEventStore } from '@darkroom/event-store';
import { newId } from '@darkroom/kernel';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';
import { readCheckpoint } from './checkpoints';
import type { RowProjection } from './projection';
import { ProjectionRunner } from './projection-runner';

jest.setTimeout(60_000);

interface CounterRow {
  readonly id: string;
  readonly total: number;
}

let db: TestDatabase;
let store: PgEventStore;
let failSaves = false;

/** A row per stream holding the sum of its `Added` amounts. */
const counters: RowProjection<CounterRow> = {
  name: 'counters',
  eventTypes: ['Added'],
  keyOf: (event) => event.streamId,
  evolve: (row, event) => ({ id: event.streamId, total: (row?.total ?? 0) + (event.data as { amount: number }).amount }),
  async load(tx: Sql, id: string) {
    const { rows } = await tx.query<{ id: string; total: number }>(`SELECT id, total FROM counters WHERE id = $1`, [id]);
    return rows[0];
  },
  async save(tx: Sql, row: CounterRow) {
    if (failSaves) throw new Error('disk full');
    await tx.query(
      `INSERT INTO counters (id, total) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET total = $2`,
      [row.id, row.total],
    );
  },
};

beforeAll(async () => {
  db = await createTestDatabase();
  store = new PgEventStore(db.sql);
  await db.sql.query(`CREATE TABLE counters (id text PRIMARY KEY, total integer NOT NULL)`);
});
afterAll(() => db.drop());

const added = (amount: number): NewEvent => ({
  eventId: newId(),
  type: 'Added',
  data: { amount },
  metadata: { correlationId: 'c', schemaVersion: 1 },
});

async function totals(): Promise<Record<string, number>> {
  const { rows } = await db.sql.query<{ id: string; total: number }>(`SELECT id, total FROM counters`);
  return Object.fromEntries(rows.map((row) => [row.id, row.total]));
}

/** Runs batches until `done` holds; the log may become visible late under a loaded cluster. */
async function runUntil(runner: ProjectionRunner<CounterRow>, done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400 && !(await done()); i++) {
    await runner.catchUp();
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

it('writes the rows and advances the checkpoint to the last event applied', async () => {
  const a = `counter-${newId()}`;
  const b = `counter-${newId()}`;
  await store.append(a, [added(2), added(3)], NO_STREAM);
  await store.append(b, [added(10)], NO_STREAM);
  await store.append(`other-${newId()}`, [{ ...added(1), type: 'Ignored' }], NO_STREAM);
  const runner = new ProjectionRunner(db.sql, counters, { batchSize: 2 });
  await runUntil(runner, async () => (await totals())[b] === 10);

  expect(await totals()).toMatchObject({ [a]: 5, [b]: 10 });
  const last = (await store.readAll(LOG_START, { limit: 1000, types: ['Added'] })).at(-1) as RecordedEvent;
  expect(await readCheckpoint(db.sql, runner.checkpointName)).toEqual({
    transactionId: last.transactionId,
    globalPosition: last.globalPosition,
  });
});

it('writes a batch’s rows with saveMany, each key once, when the projection has it', async () => {
  const keys = [1, 2, 3].map(() => `counter-${newId()}`);
  for (const key of keys) await store.append(key, [added(1), added(2)], NO_STREAM);
  const calls: string[][] = [];
  const many: RowProjection<CounterRow> = {
    ...counters,
    async saveMany(tx, rows) {
      calls.push(rows.map((row) => row.id));
      for (const row of rows) await counters.save(tx, row);
    },
  };
  const runner = new ProjectionRunner(db.sql, many, { batchSize: 100 });
  await runUntil(runner, async () => {
    const seen = await totals();
    return keys.every((key) => seen[key] === 3);
  });

  const seen = await totals();
  expect(keys.map((key) => seen[key])).toEqual([3, 3, 3]);
  expect(calls.flat()).toEqual(expect.arrayContaining(keys));
  expect(calls.every((ids) => new Set(ids).size === ids.length)).toBe(true);
});

it('rolls back rows and checkpoint together when a batch fails, then applies it once', async () => {
  const c = `counter-${newId()}`;
  const runner = new ProjectionRunner(db.sql, counters);
  await runner.catchUp();
  const before = await readCheckpoint(db.sql, runner.checkpointName);
  await store.append(c, [added(4)], NO_STREAM);

  failSaves = true;
  try {
    for (let i = 0; i < 100; i++) {
      const outcome = await runner.runOnce().then(() => 'ran', () => 'failed');
      if (outcome === 'failed') break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    failSaves = false;
  }
  expect((await totals())[c]).toBeUndefined();
  expect(await readCheckpoint(db.sql, runner.checkpointName)).toEqual(before);

  await runUntil(runner, async () => (await totals())[c] !== undefined);
  await runner.catchUp();
  expect((await totals())[c]).toBe(4);
});

it('applies each event once when two runners of the same projection race', async () => {
  const d = `counter-${newId()}`;
  const first = new ProjectionRunner(db.sql, counters, { batchSize: 1 });
  const second = new ProjectionRunner(db.sql, counters, { batchSize: 1 });
  await first.catchUp();
  await store.append(d, Array.from({ length: 20 }, () => added(1)), NO_STREAM);
  await runUntil(first, async () => {
    await Promise.all([first.runOnce(), second.runOnce(), first.runOnce(), second.runOnce()]);
    return (await totals())[d] === 20;
  });
  await Promise.all([first.catchUp(), second.catchUp()]);
  expect((await totals())[d]).toBe(20);
});
