import { LOG_START, type NewEvent } from '@darkroom/contracts';
import { createDataSource, TypeormSql, type Sql } from '@darkroom/database';
import { NO_STREAM, PgEventStore } from '@darkroom/event-store';
import { newId } from '@darkroom/kernel';
import { createTestDatabase, uniqueName, type TestDatabase } from '@darkroom/testing';
import type { RowProjection } from './projection';
import { ProjectionRebuild } from './projection-rebuild';
import { ProjectionRunner } from './projection-runner';
import { tableChecksum } from './projection-tables';
import { RebuildInProgress, RebuildJobs } from './rebuild-jobs';

jest.setTimeout(120_000);

interface CounterRow {
  readonly id: string;
  readonly total: number;
  readonly events: number;
}

let db: TestDatabase;
let store: PgEventStore;

beforeAll(async () => {
  db = await createTestDatabase();
  store = new PgEventStore(db.sql);
});
afterAll(() => db.drop());

/**
 * A row per stream: the sum of its `added` amounts and how many events it saw. Its types are
 * unique to one test, so tests sharing the log do not see each other's events; a type it
 * subscribes to but does not know fails `evolve`, as `assertNever` does in real projections.
 */
function counters(options: { blockSave?: () => Promise<void> } = {}) {
  const suffix = newId().slice(0, 8);
  const table = `counters_${suffix}`;
  const added = `Added_${suffix}`;
  const mystery = `Mystery_${suffix}`;
  const projection: RowProjection<CounterRow> = {
    name: table,
    eventTypes: [added, mystery],
    keyOf: (event) => event.streamId,
    evolve: (row, event) => {
      if (event.type !== added) throw new Error(`Unknown event type ${event.type}`);
      const amount = (event.data as { amount: number }).amount;
      return { id: event.streamId, total: (row?.total ?? 0) + amount, events: (row?.events ?? 0) + 1 };
    },
    async load(tx: Sql, id: string) {
      const { rows } = await tx.query<CounterRow>(`SELECT id, total, events FROM ${table} WHERE id = $1`, [id]);
      return rows[0];
    },
    async save(tx: Sql, row: CounterRow) {
      await options.blockSave?.();
      await tx.query(
        `INSERT INTO ${table} (id, total, events) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET total = $2, events = $3`,
        [row.id, row.total, row.events],
      );
    },
  };
  const event = (amount: number, type = added): NewEvent => ({
    eventId: newId(),
    type,
    data: { amount },
    metadata: { correlationId: 'c', schemaVersion: 1 },
  });
  return { projection, table, event, mystery };
}

async function createCounterTable(table: string): Promise<void> {
  await db.sql.query(
    `CREATE TABLE ${table} (id text PRIMARY KEY, total integer NOT NULL CHECK (total >= 0), events integer NOT NULL)`,
  );
  await db.sql.query(`CREATE INDEX ${table}_total_idx ON ${table} (total DESC)`);
}

async function appendStreams(streams: number, eventsPerStream: number, event: (amount: number) => NewEvent): Promise<string[]> {
  const ids = Array.from({ length: streams }, () => `counter-${newId()}`);
  for (const id of ids) await store.append(id, Array.from({ length: eventsPerStream }, (_, i) => event(i + 1)), NO_STREAM);
  return ids;
}

/** The log shows an event once every older transaction has ended (DESIGN §2); wait for that. */
async function visible(projection: RowProjection<CounterRow>, count: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if ((await store.readAll(LOG_START, { limit: 10_000, types: projection.eventTypes })).length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${count} events never became visible`);
}

const indexesOf = async (table: string) =>
  (await db.sql.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE tablename = $1 AND schemaname = 'public' ORDER BY 1`, [table]))
    .rows.map((row) => row.indexname);

const constraintsOf = async (table: string) =>
  (await db.sql.query<{ conname: string }>(`SELECT conname FROM pg_constraint WHERE conrelid = to_regclass($1) ORDER BY 1`, [table]))
    .rows.map((row) => row.conname);

const tableOid = async (table: string) =>
  (await db.sql.query<{ oid: string }>(`SELECT to_regclass($1)::oid::text AS oid`, [table])).rows[0]?.oid;

const schemasLeft = async () =>
  (await db.sql.query<{ n: string }>(`SELECT count(*)::text AS n FROM pg_namespace WHERE nspname ~ '^(rebuild|retired)_'`)).rows[0]?.n;

it('rebuilds into a new table equal to the live one by checksum and switches it in with its indexes', async () => {
  const { projection, table, event } = counters();
  await createCounterTable(table);
  await appendStreams(30, 5, event);
  await visible(projection, 150);
  const runner = new ProjectionRunner(db.sql, projection, { batchSize: 7 });
  await runner.catchUp();
  const indexesBefore = await indexesOf(table);
  const constraintsBefore = await constraintsOf(table);
  const oidBefore = await tableOid(table);

  const result = await new ProjectionRebuild(db.sql, projection, newId(), { batchSize: 11, cacheSize: 5 }).run('rebuild');

  expect(result.eventsDone).toBe(150);
  expect(result.rebuilt).toEqual(result.live);
  expect(result.rebuilt.rows).toBe(30);
  expect(await tableOid(table)).not.toBe(oidBefore);
  expect(await indexesOf(table)).toEqual(indexesBefore);
  expect(await constraintsOf(table)).toEqual(constraintsBefore);
  expect(await tableChecksum(db.sql, 'public', table)).toEqual(result.rebuilt);
  await expect(db.sql.query(`INSERT INTO ${table} (id, total, events) VALUES ('x', -1, 0)`)).rejects.toThrow(/check/i);
  expect(await schemasLeft()).toBe('0');

  // The runner carries on from the checkpoint the switch left.
  const [late] = await appendStreams(1, 2, event);
  for (let i = 0; i < 200 && (await runner.catchUp()) === 0; i++) await new Promise((resolve) => setTimeout(resolve, 25));
  const { rows } = await db.sql.query<{ total: number }>(`SELECT total FROM ${table} WHERE id = $1`, [late]);
  expect(rows[0]?.total).toBe(3);
});

it('brings a live table that had fallen behind to the rebuilt position before comparing', async () => {
  const { projection, table, event } = counters();
  await createCounterTable(table);
  await appendStreams(10, 3, event);
  await visible(projection, 30);
  // No runner ran: the live table is empty and its checkpoint at the start.
  const result = await new ProjectionRebuild(db.sql, projection, newId()).run('verify');
  expect(result.live).toEqual(result.rebuilt);
  expect(result.live.rows).toBe(10);
  expect(await tableChecksum(db.sql, 'public', table)).toEqual(result.live);
});

it('never fails a read while reads and writes hammer the table during the switch', async () => {
  const { projection, table, event } = counters();
  await createCounterTable(table);
  const ids = await appendStreams(40, 10, event);
  const runner = new ProjectionRunner(db.sql, projection, { pollIntervalMs: 10 });
  runner.start();
  let stop = false;
  const failures: unknown[] = [];
  let reads = 0;
  const reader = async () => {
    while (!stop) {
      try {
        await db.sql.query(`SELECT count(*) FROM ${table}`);
        await db.sql.query(`SELECT total FROM ${table} WHERE id = $1`, [ids[reads % ids.length]]);
        reads++;
      } catch (error) {
        failures.push(error);
      }
    }
  };
  const writer = async () => {
    while (!stop) await store.append(`counter-${newId()}`, [event(1)], NO_STREAM);
  };
  const load = [reader(), reader(), reader(), writer()];
  try {
    for (let round = 0; round < 3; round++) {
      const result = await new ProjectionRebuild(db.sql, projection, newId(), { batchSize: 50 }).run('rebuild');
      expect(result.rebuilt).toEqual(result.live);
    }
  } finally {
    stop = true;
    await Promise.all(load);
    await runner.stop();
  }
  expect(failures).toEqual([]);
  expect(reads).toBeGreaterThan(0);
});

it('fails loudly on an event type the projection does not know and leaves the live table in place', async () => {
  const { projection, table, event, mystery } = counters();
  await createCounterTable(table);
  await appendStreams(5, 2, event);
  await new ProjectionRunner(db.sql, projection).catchUp();
  const before = await tableChecksum(db.sql, 'public', table);
  const oidBefore = await tableOid(table);
  await store.append(`counter-${newId()}`, [event(1, mystery)], NO_STREAM);
  await visible(projection, 11);

  await expect(new ProjectionRebuild(db.sql, projection, newId()).run('rebuild')).rejects.toThrow(`Unknown event type ${mystery}`);

  expect(await tableOid(table)).toBe(oidBefore);
  expect(await tableChecksum(db.sql, 'public', table)).toEqual(before);
  expect(await schemasLeft()).toBe('0');
});

it('refuses a second job for a projection while one is queued or running', async () => {
  const { projection, table } = counters();
  await createCounterTable(table);
  const jobs = new RebuildJobs(db.sql);
  await jobs.register([projection as never], 'test-host');
  const first = await jobs.request(projection.name, 'rebuild');
  await expect(jobs.request(projection.name, 'rebuild')).rejects.toBeInstanceOf(RebuildInProgress);
  await expect(jobs.request(projection.name, 'verify')).rejects.toBeInstanceOf(RebuildInProgress);

  const claimed = await jobs.claim([projection.name], 'test-host', 30_000);
  expect(claimed?.id).toBe(first.id);
  await jobs.fail(first.id, 'test-host', 'boom');
  expect((await jobs.request(projection.name, 'rebuild')).state).toBe('requested');
});

it('leaves a read model equal to a fresh rebuild after its runner dies mid-batch and another takes over', async () => {
  let blocked: (() => void) | undefined;
  let saves = 0;
  const { projection, table, event } = counters({
    blockSave: async () => {
      // The third row of the dying runner's batch never gets written: its process "dies" here.
      if (++saves === 3 && !blocked) await new Promise<void>((resolve) => (blocked = resolve));
    },
  });
  await createCounterTable(table);
  await appendStreams(20, 4, event);
  await visible(projection, 80);

  const applicationName = uniqueName('dying_runner');
  const dyingSource = createDataSource({ url: db.url, poolSize: 2, applicationName });
  await dyingSource.initialize();
  const dying = new ProjectionRunner(new TypeormSql(dyingSource), projection, { batchSize: 25 });
  const batch = dying.runOnce();
  const outcome = batch.then(
    () => 'committed',
    () => 'died',
  );
  for (let i = 0; i < 400 && !blocked; i++) await new Promise((resolve) => setTimeout(resolve, 25));
  expect(blocked).toBeDefined();
  await db.sql.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [applicationName]);
  blocked?.();
  expect(await outcome).toBe('died');
  await dyingSource.destroy().catch(() => undefined);

  const survivor = new ProjectionRunner(db.sql, projection, { batchSize: 25 });
  for (let i = 0; i < 400 && (await tableChecksum(db.sql, 'public', table)).rows < 20; i++) {
    await survivor.catchUp();
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const result = await new ProjectionRebuild(db.sql, projection, newId()).run('verify');
  expect(result.rebuilt.rows).toBe(20);
  expect(result.live).toEqual(result.rebuilt);
});
