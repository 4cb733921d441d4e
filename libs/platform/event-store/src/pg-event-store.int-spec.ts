import { LOG_START, type NewEvent, type RecordedEvent } from '@darkroom/contracts';
import { newId, type Decider, type SubjectDecider } from '@darkroom/kernel';
import { Client } from 'pg';
import { createTestDatabase, testServerUrl, type TestDatabase } from '@darkroom/testing';
import { IdempotencyConflict, StreamOrderConflict, StreamVersionConflict } from './errors';
import { ANY, NO_STREAM } from './event-store';
import { PgEventStore } from './pg-event-store';

jest.setTimeout(30_000);

let db: TestDatabase;
let store: PgEventStore;

beforeAll(async () => {
  db = await createTestDatabase();
  store = new PgEventStore(db.sql);
});
afterAll(() => db.drop());

const stream = () => `generation-${newId()}`;
const event = (type: string, data: Record<string, unknown> = {}): NewEvent => ({
  eventId: newId(),
  type,
  data,
  metadata: { correlationId: 'c', schemaVersion: 1 },
});
const countRows = async (streamId: string) =>
  (await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE stream_id = $1`, [streamId])).rows[0].n;

describe('append', () => {
  it('appends a new stream and reads it back in version order', async () => {
    const id = stream();
    const result = await store.append(id, [event('A', { n: 1 }), event('B', { n: 2 })], NO_STREAM);
    expect(result.streamVersion).toBe(2);
    const read = await store.readStream(id);
    expect(read.map((e) => [e.type, e.streamVersion, e.data])).toEqual([
      ['A', 1, { n: 1 }],
      ['B', 2, { n: 2 }],
    ]);
    expect(read.map((e) => e.globalPosition)).toEqual(result.positions);
  });

  it('throws a typed conflict on a stale expected version and writes nothing', async () => {
    const id = stream();
    await store.append(id, [event('A'), event('B')], NO_STREAM);
    const attempt = store.append(id, [event('C')], 1);
    await expect(attempt).rejects.toBeInstanceOf(StreamVersionConflict);
    await expect(store.append(id, [event('C')], 1)).rejects.toMatchObject({ stream: id, expected: 1, actual: 2 });
    expect(await countRows(id)).toBe(2);
  });

  it('refuses NO_STREAM on a stream committed long before', async () => {
    const id = stream();
    await store.append(id, [event('A')], NO_STREAM);
    await expect(store.append(id, [event('B')], NO_STREAM)).rejects.toMatchObject({
      name: 'StreamVersionConflict',
      actual: 1,
    });
    expect(await countRows(id)).toBe(1);
  });

  it('lets exactly one of many concurrent NO_STREAM appends win', async () => {
    const id = stream();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, () => store.append(id, [event('Created')], NO_STREAM)),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason)).toEqual(
      Array(5).fill(expect.any(StreamVersionConflict)),
    );
    expect(await countRows(id)).toBe(1);
  });

  it('appends at the end with ANY and at an exact version', async () => {
    const id = stream();
    await store.append(id, [event('A')], ANY);
    await store.append(id, [event('B')], ANY);
    await store.append(id, [event('C')], 2);
    expect((await store.readStream(id)).map((e) => e.type)).toEqual(['A', 'B', 'C']);
  });

  it('lets concurrent ANY appends all land, one after another', async () => {
    const id = stream();
    await Promise.all(Array.from({ length: 6 }, () => store.append(id, [event('Any')], ANY)));
    expect((await store.readStream(id)).map((e) => e.streamVersion)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('treats an append repeated with the same event ids as a no-op returning the first positions', async () => {
    const id = stream();
    const events = [event('A', { x: 1 }), event('B', { y: [1, 2] })];
    const first = await store.append(id, events, NO_STREAM);
    const second = await store.append(id, events, NO_STREAM);
    expect(second).toEqual({ streamVersion: 2, positions: first.positions, replayed: true });
    expect(await countRows(id)).toBe(2);
  });

  it('rejects a reused event id with another payload', async () => {
    const id = stream();
    const original = event('A', { x: 1 });
    await store.append(id, [original], NO_STREAM);
    await expect(store.append(id, [{ ...original, data: { x: 2 } }], ANY)).rejects.toBeInstanceOf(IdempotencyConflict);
    expect(await countRows(id)).toBe(1);
  });

  it('rolls back with the enclosing transaction', async () => {
    const id = stream();
    await expect(
      store.transaction(async (tx) => {
        await tx.append(id, [event('A')], NO_STREAM);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await countRows(id)).toBe(0);
  });
});

describe('readAll', () => {
  async function readEverything(after = LOG_START): Promise<RecordedEvent[]> {
    const all: RecordedEvent[] = [];
    let position = after;
    for (;;) {
      const batch = await store.readAll(position, { limit: 100 });
      if (batch.length === 0) return all;
      all.push(...batch);
      position = batch[batch.length - 1];
    }
  }

  it('never skips an event whose transaction committed after a later one', async () => {
    const slow = stream();
    const fast = stream();
    const ours = (events: RecordedEvent[]) => events.filter((e) => e.streamId === slow || e.streamId === fast);
    const start = await readEverything();
    const checkpoint = start.length ? start[start.length - 1] : LOG_START;

    let releaseSlow!: () => void;
    const slowMayCommit = new Promise<void>((resolve) => (releaseSlow = resolve));
    let slowAppended!: () => void;
    const slowHasAppended = new Promise<void>((resolve) => (slowAppended = resolve));
    const slowTx = db.sql.transaction(async (tx) => {
      await new PgEventStore(tx).append(slow, [event('Slow')], NO_STREAM);
      slowAppended();
      await slowMayCommit;
    });
    await slowHasAppended;

    await store.append(fast, [event('Fast')], NO_STREAM);
    // The fast event is committed, but a reader must not pass it while the slow one may still land before it.
    expect(ours(await readEverything(checkpoint))).toEqual([]);

    releaseSlow();
    await slowTx;
    // A running transaction whose database this role cannot see may delay (never reorder) visibility.
    let afterCommit = ours(await readEverything(checkpoint));
    for (let i = 0; afterCommit.length < 2 && i < 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      afterCommit = ours(await readEverything(checkpoint));
    }
    expect(afterCommit.map((e) => e.streamId)).toEqual([slow, fast]);
    expect(BigInt(afterCommit[0].globalPosition)).toBeLessThan(BigInt(afterCommit[1].globalPosition));
  });

  it('is not held back by a transaction running in another database on the same server', async () => {
    const elsewhere = new Client({ connectionString: testServerUrl() });
    await elsewhere.connect();
    try {
      await elsewhere.query('BEGIN');
      await elsewhere.query('SELECT pg_current_xact_id()');
      const id = stream();
      const start = await readEverything();
      await store.append(id, [event('WhileElsewhereRuns')], NO_STREAM);

      const seen = (await readEverything(start.length ? start[start.length - 1] : LOG_START)).filter((e) => e.streamId === id);
      expect(seen.map((e) => e.type)).toEqual(['WhileElsewhereRuns']);
    } finally {
      await elsewhere.query('ROLLBACK');
      await elsewhere.end();
    }
  });

  it('is still held back by a transaction running in its own database', async () => {
    const id = stream();
    const start = await readEverything();
    const checkpoint = start.length ? start[start.length - 1] : LOG_START;
    let release!: () => void;
    const mayEnd = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const hasStarted = new Promise<void>((resolve) => (started = resolve));
    const open = db.sql.transaction(async (tx) => {
      await tx.query('SELECT pg_current_xact_id()');
      started();
      await mayEnd;
    });
    await hasStarted;
    await store.append(id, [event('BehindOpenTransaction')], NO_STREAM);
    expect((await readEverything(checkpoint)).filter((e) => e.streamId === id)).toEqual([]);
    release();
    await open;
    let seen = (await readEverything(checkpoint)).filter((e) => e.streamId === id);
    for (let i = 0; seen.length === 0 && i < 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      seen = (await readEverything(checkpoint)).filter((e) => e.streamId === id);
    }
    expect(seen.map((e) => e.type)).toEqual(['BehindOpenTransaction']);
  });

  it('keeps a stream in version order for readers when an older transaction appends after a younger one', async () => {
    const id = stream();
    await store.append(id, [event('First')], NO_STREAM);
    const start = await readEverything();
    let runs = 0;
    let youngerDone!: () => void;
    const younger = new Promise<void>((resolve) => (youngerDone = resolve));
    let olderHasId!: () => void;
    const olderStarted = new Promise<void>((resolve) => (olderHasId = resolve));

    // The older transaction takes its id first, then waits while a younger one appends and commits.
    const older = db.sql.transaction(async (tx) => {
      runs++;
      await tx.query('SELECT pg_current_xact_id()');
      olderHasId();
      await younger;
      await new PgEventStore(tx).append(id, [event('Older')], ANY);
    });
    await olderStarted;
    await store.append(id, [event('Younger')], ANY);
    youngerDone();
    await older;

    expect(runs).toBe(2);
    const mine = (await readEverything(start[start.length - 1])).filter((e) => e.streamId === id);
    expect(mine.map((e) => [e.type, e.streamVersion])).toEqual([
      ['Younger', 2],
      ['Older', 3],
    ]);
    expect(BigInt(mine[0].transactionId)).toBeLessThan(BigInt(mine[1].transactionId));
  });

  it('asks a savepoint’s outermost transaction to start again rather than break the order', async () => {
    const id = stream();
    await store.append(id, [event('First')], NO_STREAM);
    const attempt = db.sql.transaction(async (tx) => {
      await tx.query('SELECT pg_current_xact_id()');
      await store.append(id, [event('Younger')], ANY);
      await tx.transaction((savepoint) => new PgEventStore(savepoint).append(id, [event('Older')], ANY));
    });
    // Each run is older than the append it makes inside, so every run fails and the restarts give up.
    await expect(attempt).rejects.toBeInstanceOf(StreamOrderConflict);
    expect((await store.readStream(id)).map((e) => e.type)).toEqual(['First', ...Array(10).fill('Younger')]);
  });

  it('pages through the log in (transaction, position) order and can filter by type', async () => {
    const id = stream();
    await store.append(id, [event('PageA'), event('PageB'), event('PageA')], NO_STREAM);
    let all = await readEverything();
    for (let i = 0; !all.some((e) => e.streamId === id) && i < 100; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      all = await readEverything();
    }
    const mine = all.filter((e) => e.streamId === id);
    expect(mine.map((e) => e.type)).toEqual(['PageA', 'PageB', 'PageA']);
    const onlyB = await store.readAll(LOG_START, { limit: 1000, types: ['PageB'] }); // visible: seen above
    expect(onlyB.filter((e) => e.streamId === id).map((e) => e.type)).toEqual(['PageB']);
  });
});

describe('readCorrelated', () => {
  it('returns one task’s events across its streams in commit order', async () => {
    const task = newId();
    const tagged = (type: string): NewEvent => ({ ...event(type), metadata: { correlationId: task, schemaVersion: 1 } });
    await store.append(stream(), [tagged('First')], NO_STREAM);
    await store.append(`credit-account-${newId()}`, [tagged('Second'), event('Unrelated')], NO_STREAM);
    await store.append(stream(), [tagged('Third')], NO_STREAM);
    expect((await store.readCorrelated(task)).map((e) => e.type)).toEqual(['First', 'Second', 'Third']);
  });
});

describe('handle', () => {
  type Counter = { count: number };
  type Increment = { type: 'Increment'; by: number };
  type Incremented = { type: 'Incremented'; data: { by: number } };
  const counter: Decider<Increment, Incremented, Counter> = {
    initialState: () => ({ count: 0 }),
    evolve: (state, e) => ({ count: state.count + e.data.by }),
    decide: (command) => (command.by === 0 ? [] : [{ type: 'Incremented', data: { by: command.by } }]),
  };
  const options = () => ({ metadata: { correlationId: 'c', schemaVersion: 1 }, eventId: () => newId() });

  it('folds, decides and appends, returning the new state', async () => {
    const id = stream();
    await store.handle(id, counter, { type: 'Increment', by: 2 }, options());
    const result = await store.handle(id, counter, { type: 'Increment', by: 3 }, options());
    expect(result.state).toEqual({ count: 5 });
    expect(result.streamVersion).toBe(2);
  });

  it('appends nothing when the decider decides nothing', async () => {
    const id = stream();
    const result = await store.handle(id, counter, { type: 'Increment', by: 0 }, options());
    expect(result.events).toEqual([]);
    expect(await countRows(id)).toBe(0);
  });

  it('retries on conflict so concurrent commands all land once', async () => {
    const id = stream();
    await Promise.all(
      Array.from({ length: 5 }, () => store.handle(id, counter, { type: 'Increment', by: 1 }, { ...options(), maxAttempts: 10 })),
    );
    const versions = (await store.readStream(id)).map((e) => e.streamVersion);
    expect(versions).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('handleSubject', () => {
  /** A tally per key: the summary counts every event, the subject lists its own. */
  type Tally = { type: 'Tally'; key: string; value: number };
  type Tallied = { type: 'Tallied'; data: { key: string; value: number } };
  const tally: SubjectDecider<Tally, Tallied, { events: number }, number[]> = {
    snapshotName: 'tally/v1',
    initialSummary: () => ({ events: 0 }),
    evolveSummary: (summary) => ({ events: summary.events + 1 }),
    initialSubject: () => [],
    evolveSubject: (values, e) => [...values, e.data.value],
    subjectOf: (command) => command.key,
    subjectOfEvent: (e) => e.data.key,
    decide: (command, { subject }) => (subject.includes(command.value) ? [] : [{ type: 'Tallied', data: { key: command.key, value: command.value } }]),
  };
  const options = () => ({ metadata: { correlationId: 'c', schemaVersion: 1 }, eventId: () => newId() });
  const snapshotOf = async (id: string) =>
    (await db.sql.query<{ stream_version: number; state: unknown }>(`SELECT stream_version, state FROM stream_snapshots WHERE stream_id = $1`, [id]))
      .rows[0];

  it('sees the whole stream in its summary and only its own subject', async () => {
    const id = `tally-${newId()}`;
    await store.handleSubject(id, tally, { type: 'Tally', key: 'a', value: 1 }, options());
    await store.handleSubject(id, tally, { type: 'Tally', key: 'b', value: 2 }, options());
    const result = await store.handleSubject(id, tally, { type: 'Tally', key: 'a', value: 3 }, options());
    expect(result.state).toEqual({ summary: { events: 3 }, subject: [1, 3] });
    expect((await store.handleSubject(id, tally, { type: 'Tally', key: 'a', value: 1 }, options())).events).toEqual([]);
    expect((await store.readStream(id)).map((e) => e.subject ?? null)).toEqual([null, null, null]);
    const { rows } = await db.sql.query<{ subject: string }>(`SELECT subject FROM events WHERE stream_id = $1 ORDER BY stream_version`, [id]);
    expect(rows.map((row) => row.subject)).toEqual(['a', 'b', 'a']);
    expect(await snapshotOf(id)).toEqual({ stream_version: 3, state: { events: 3 } });
  });

  it('writes the snapshot in the appending transaction: both roll back together', async () => {
    const id = `tally-${newId()}`;
    await store.handleSubject(id, tally, { type: 'Tally', key: 'a', value: 1 }, options());
    await expect(
      store.transaction(async (tx) => {
        await tx.handleSubject(id, tally, { type: 'Tally', key: 'a', value: 2 }, options());
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await countRows(id)).toBe(1);
    expect(await snapshotOf(id)).toEqual({ stream_version: 1, state: { events: 1 } });
  });

  it('tells a replayed append from a reused event id, and writes nothing for either', async () => {
    const id = `tally-${newId()}`;
    const taken = newId();
    // The same fact already stored under its id, outside the subject: a replay, nothing appended twice.
    await store.append(id, [{ eventId: taken, type: 'Tallied', data: { key: 'a', value: 1 }, metadata: { correlationId: 'c', schemaVersion: 1 } }], NO_STREAM);
    const replayed = await store.handleSubject(id, tally, { type: 'Tally', key: 'a', value: 1 }, { ...options(), eventId: () => taken });
    expect(replayed.streamVersion).toBe(1);
    // Another fact under a used id: refused.
    await expect(
      store.handleSubject(id, tally, { type: 'Tally', key: 'a', value: 2 }, { ...options(), eventId: () => taken }),
    ).rejects.toBeInstanceOf(IdempotencyConflict);
    expect(await countRows(id)).toBe(1);
  });

  it('folds events appended past the snapshot by other means', async () => {
    const id = `tally-${newId()}`;
    await store.handleSubject(id, tally, { type: 'Tally', key: 'a', value: 1 }, options());
    await store.append(id, [{ ...event('Tallied', { key: 'b', value: 5 }), subject: 'b' }], 1);
    const result = await store.handleSubject(id, tally, { type: 'Tally', key: 'b', value: 6 }, options());
    expect(result.state).toEqual({ summary: { events: 3 }, subject: [5, 6] });
    expect(await snapshotOf(id)).toEqual({ stream_version: 3, state: { events: 3 } });
  });
});
