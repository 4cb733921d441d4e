import { LOG_START } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import { NO_STREAM, PgEventStore } from '@darkroom/event-store';
import { newId } from '@darkroom/kernel';
import { RebuildJobs, type RebuildJob, type RowProjection } from '@darkroom/projections';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';
import type { Platform } from './platform';
import { ProjectionHost } from './projection.host';

jest.setTimeout(120_000);

let db: TestDatabase;
let host: ProjectionHost;
let jobs: RebuildJobs;
const table = `tallies_${newId().slice(0, 8)}`;

/** A row per stream counting its `Tallied` events; `Unknown` is subscribed but not understood. */
const tallies: RowProjection<{ id: string; n: number }> = {
  name: table,
  eventTypes: ['Tallied', 'Unknown'],
  keyOf: (event) => event.streamId,
  evolve: (row, event) => {
    if (event.type !== 'Tallied') throw new Error(`Unknown event type ${event.type}`);
    return { id: event.streamId, n: (row?.n ?? 0) + 1 };
  },
  async load(tx: Sql, id: string) {
    return (await tx.query<{ id: string; n: number }>(`SELECT id, n FROM ${table} WHERE id = $1`, [id])).rows[0];
  },
  async save(tx: Sql, row: { id: string; n: number }) {
    await tx.query(`INSERT INTO ${table} (id, n) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET n = $2`, [row.id, row.n]);
  },
};

const event = (type = 'Tallied') => ({ eventId: newId(), type, data: {}, metadata: { correlationId: 'c', schemaVersion: 1 } });

/** The log shows an event once every older transaction has ended (DESIGN §2); wait for that. */
async function visible(count: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const events = await new PgEventStore(db.sql).readAll(LOG_START, { limit: 1000, types: tallies.eventTypes });
    if (events.length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${count} events never became visible`);
}

async function settled(id: string): Promise<RebuildJob> {
  for (let i = 0; i < 1200; i++) {
    const job = await jobs.get(id);
    if (job && (job.state === 'completed' || job.state === 'failed')) return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${id} did not finish`);
}

beforeAll(async () => {
  db = await createTestDatabase();
  jobs = new RebuildJobs(db.sql);
  await db.sql.query(`CREATE TABLE ${table} (id text PRIMARY KEY, n integer NOT NULL)`);
  host = new ProjectionHost({ sql: db.sql, pollIntervalMs: 20 } as unknown as Platform, [tallies as never]);
  await host.onApplicationBootstrap();
});
afterAll(async () => {
  await host.onApplicationShutdown();
  await db.drop();
});

it('registers its projections and runs a requested rebuild to completion with progress and checksums', async () => {
  const store = new PgEventStore(db.sql);
  for (let i = 0; i < 12; i++) await store.append(`tally-${newId()}`, [event(), event()], NO_STREAM);
  await visible(24);
  const [status] = await jobs.statuses(table);
  expect(status).toMatchObject({ name: table, eventTypes: ['Tallied', 'Unknown'], tables: [table] });

  const job = await jobs.request(table, 'rebuild');
  const done = await settled(job.id);

  expect(done).toMatchObject({ state: 'completed', eventsDone: 24, eventsTotal: 24, error: null });
  expect(done.rebuilt).toEqual(done.live);
  expect(done.rebuilt?.rows).toBe(12);
  const { rows } = await db.sql.query<{ n: string }>(`SELECT sum(n)::text AS n FROM ${table}`);
  expect(rows[0]?.n).toBe('24');
  const [after] = await jobs.statuses(table);
  expect(after?.eventsBehind).toBe(0);
});

it('marks a rebuild failed with the error when an event type is not understood, and keeps serving', async () => {
  await new PgEventStore(db.sql).append(`tally-${newId()}`, [event('Unknown')], NO_STREAM);
  await visible(25);
  const before = (await db.sql.query<{ oid: string }>(`SELECT to_regclass($1)::oid::text AS oid`, [table])).rows[0]?.oid;

  const done = await settled((await jobs.request(table, 'rebuild')).id);

  expect(done.state).toBe('failed');
  expect(done.error).toContain('Unknown event type Unknown');
  const afterOid = (await db.sql.query<{ oid: string }>(`SELECT to_regclass($1)::oid::text AS oid`, [table])).rows[0]?.oid;
  expect(afterOid).toBe(before);
});
