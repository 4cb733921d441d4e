/**
 * Event append benchmark, driven as the peer `emmett-append.mjs` drives Emmett's store: the
 * ~1 KB generation payload, a pool of PG_POOL (16), each case on an empty table, WARMUP_SECONDS
 * (1) then BENCH_SECONDS (8): (a) 1 client, 1 event per call, a new stream per call; (b) CLIENTS
 * (16) clients, same; (c1/c16) 1 or CLIENTS clients appending BATCH (10)-event batches.
 * Through `PgEventStore.append` (its NOTIFY included), on a throwaway database of the test server.
 *
 *   npm run bench:append          # one JSON line on stdout, progress on stderr
 */
import { randomUUID } from 'node:crypto';
import { announcingSql, NO_STREAM, PgEventStore } from '@darkroom/event-store';
import { createTestDatabase } from '@darkroom/testing';
import { cpuBusyPct, cpuTimes, emit, envNumber, latency, log, peerPayload, round } from './peer-shape';

const SECONDS = envNumber('BENCH_SECONDS', 8);
const WARMUP = envNumber('WARMUP_SECONDS', 1);
const CLIENTS = envNumber('CLIENTS', 16);
const BATCH = envNumber('BATCH', 10);
const POOL = envNumber('PG_POOL', 16);

const events = (count: number) =>
  Array.from({ length: count }, (_, i) => ({
    eventId: randomUUID(),
    type: 'GenerationRequested',
    data: peerPayload(i),
    metadata: { correlationId: randomUUID(), schemaVersion: 1 },
  }));

async function run(store: PgEventStore, clients: number, batch: number, seconds: number) {
  const calls: number[] = [];
  let appended = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) {
        const batchOf = events(batch);
        const sent = performance.now();
        await store.append(`generation-${randomUUID()}`, batchOf, NO_STREAM);
        calls.push(performance.now() - sent);
        appended += batch;
      }
    }),
  );
  return { calls, appended, seconds: (performance.now() - start) / 1000 };
}

async function main(): Promise<void> {
  const db = await createTestDatabase({ poolSize: POOL });
  const store = new PgEventStore(announcingSql(db.dataSource)); // NOTIFY after commit, as the platform wires it
  const cases = [
    { case: 'a', clients: 1, batch: 1 },
    { case: 'b', clients: CLIENTS, batch: 1 },
    { case: 'c1', clients: 1, batch: BATCH },
    { case: 'c16', clients: CLIENTS, batch: BATCH },
  ];
  const results: Record<string, unknown>[] = [];
  try {
    for (const c of cases) {
      await db.sql.query('TRUNCATE events');
      if (WARMUP > 0) await run(store, c.clients, c.batch, WARMUP);
      await db.sql.query('TRUNCATE events');
      const cpu = cpuTimes();
      const { calls, appended, seconds } = await run(store, c.clients, c.batch, SECONDS);
      const result = {
        ...c,
        events_per_s: round(appended / seconds, 1),
        calls_per_s: round(calls.length / seconds, 1),
        ...latency(calls),
        host_cpu_busy_pct: cpuBusyPct(cpu),
      };
      log('darkroom-append', JSON.stringify(result));
      results.push(result);
    }
  } finally {
    await db.drop();
  }
  emit({ bench: 'darkroom-append', seconds: SECONDS, warmup_s: WARMUP, pg_pool: POOL, cases: results });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
