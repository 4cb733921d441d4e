import { Logger } from '@nestjs/common';
import { generationStream, type NewEvent } from '@darkroom/contracts';
import { TypeormSql, type Sql } from '@darkroom/database';
import { announcingSql, NO_STREAM, PgCommitListener, PgEventStore } from '@darkroom/event-store';
import { newId } from '@darkroom/kernel';
import { Relay, type EventMessage, type MessageBus } from '@darkroom/messaging';
import { ProjectionRunner, type RowProjection } from '@darkroom/projections';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';

jest.setTimeout(60_000);
Logger.overrideLogger(false);

/** Far longer than any wait below: a reader that answers in time was woken, not polled. */
const POLL_MS = 10_000;
/** The issue asks for ~50 ms; the bound leaves room for a machine shared with other runs. */
const WOKEN_WITHIN_MS = 250;

let db: TestDatabase;
let store: PgEventStore;
let listener: PgCommitListener;
const published: EventMessage[] = [];
const bus = {
  publish: async (messages: readonly EventMessage[]) => void published.push(...messages),
} as unknown as MessageBus;

const added = (): NewEvent => ({
  eventId: newId(),
  type: 'Added',
  data: { amount: 1 },
  metadata: { correlationId: newId(), schemaVersion: 1 },
});

const counters: RowProjection<{ id: string; total: number }> = {
  name: 'wake_counters',
  eventTypes: ['Added'],
  keyOf: (event) => event.streamId,
  evolve: (row, event) => ({ id: event.streamId, total: (row?.total ?? 0) + 1 }),
  async load(tx: Sql, id: string) {
    const { rows } = await tx.query<{ id: string; total: number }>(`SELECT id, total FROM wake_counters WHERE id = $1`, [id]);
    return rows[0];
  },
  async save(tx: Sql, row) {
    await tx.query(`INSERT INTO wake_counters (id, total) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET total = $2`, [row.id, row.total]);
  },
};

async function until(probe: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await probe())) {
    if (performance.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Milliseconds from the commit of one append until `seen` holds for its stream. */
async function wakeDelay(seen: (streamId: string) => boolean | Promise<boolean>): Promise<number> {
  const streamId = generationStream(newId()); // the relay routes by the stream's kind
  await store.append(streamId, [added()], NO_STREAM);
  const committedAt = performance.now();
  await until(() => seen(streamId), 5_000);
  return performance.now() - committedAt;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

beforeAll(async () => {
  db = await createTestDatabase();
  store = new PgEventStore(announcingSql(db.dataSource)); // as the distributed platform wires it
  await db.sql.query(`CREATE TABLE wake_counters (id text PRIMARY KEY, total integer NOT NULL)`);
  listener = new PgCommitListener(db.url);
  await listener.start();
});
afterAll(async () => {
  await listener.close();
  await db.drop();
});

describe('woken on commit', () => {
  let relay: Relay;
  let runner: ProjectionRunner<{ id: string; total: number }>;
  const projected = async (streamId: string) =>
    (await db.sql.query(`SELECT 1 FROM wake_counters WHERE id = $1`, [streamId])).rows.length > 0;
  const relayed = (streamId: string) => published.some((message) => message.streamId === streamId);

  beforeAll(async () => {
    relay = new Relay({ sql: db.sql, store, bus, pollIntervalMs: POLL_MS, commits: listener });
    runner = new ProjectionRunner(db.sql, counters, { pollIntervalMs: POLL_MS, commits: listener });
    relay.start();
    runner.start();
    await until(() => relay.activity.lastTickAt !== undefined && runner.activity.lastTickAt !== undefined);
    await settle();
  });
  afterAll(async () => {
    await relay.stop();
    await runner.stop();
  });

  it('wakes the relay within a few milliseconds of a commit, with a 10 s poll', async () => {
    expect(await wakeDelay(relayed)).toBeLessThan(WOKEN_WITHIN_MS);
  });

  it('wakes a projection runner within a few milliseconds of a commit, with a 10 s poll', async () => {
    expect(await wakeDelay(projected)).toBeLessThan(WOKEN_WITHIN_MS);
  });

  it('wakes both again after the listening connection was terminated', async () => {
    const backend = `SELECT pid FROM pg_stat_activity WHERE application_name = 'darkroom-commit-listener' AND datname = current_database()`;
    const { rows: before } = await db.sql.query<{ pid: number }>(backend);
    expect(before).toHaveLength(1);
    await db.sql.query(`SELECT pg_terminate_backend(pid) FROM (${backend}) AS listener`);
    await until(async () => {
      const { rows } = await db.sql.query<{ pid: number }>(backend);
      return rows.length === 1 && rows[0]!.pid !== before[0]!.pid;
    });
    await settle();

    expect(await wakeDelay(relayed)).toBeLessThan(WOKEN_WITHIN_MS);
    expect(await wakeDelay(projected)).toBeLessThan(WOKEN_WITHIN_MS);
  });
});

describe('in one process (the embedded platform)', () => {
  it('announces a committed append once, and neither a rolled-back one nor a read', async () => {
    let announced = 0;
    const sql = new TypeormSql(db.dataSource, { onAnnouncedCommit: () => announced++ });
    const local = new PgEventStore(sql);
    await local.append(`wake-${newId()}`, [added(), added()], NO_STREAM);
    expect(announced).toBe(1);
    await expect(
      local.transaction(async (tx) => {
        await tx.append(`wake-${newId()}`, [added()], NO_STREAM);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await local.readStream(`wake-${newId()}`);
    expect(announced).toBe(1);
  });
});
