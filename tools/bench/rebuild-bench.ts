/**
 * Rebuild benchmark (issue 6): how fast a projection rebuild replays the log, next to the
 * physical ceiling of the same database.
 *
 *   npm run bench:rebuild -- [--events 1000000] [--runner-seconds 15] [--batch-size 5000] [--cache-size 50000]
 *
 * On a throwaway database (TEST_DATABASE_URL's server, default the local PostgreSQL):
 * 1. seeds `--events` events in one INSERT ... SELECT over generate_series: tasks of eight
 *    events each (created, credits reserved, queued, processing, output stored, asset
 *    stored, completed, credits captured) on 1,000 accounts, about 2,000 tasks in flight at
 *    once so a task's events are spread over the log as they are in production;
 * 2. the ceiling: `INSERT INTO copy SELECT * FROM events` of those rows into a table like
 *    `events` (no indexes), timed;
 * 3. for context, the live runner (batches of 500, load and save per row) for
 *    `--runner-seconds`;
 * 4. a `rebuild` of `generations` from position zero with ProjectionRebuild, the code the
 *    admin API runs, switch included (the live checkpoint is first set to the end of the
 *    log, so the switch has no tail to apply).
 * Prints events per second of each and the ratio rebuild / ceiling.
 */
import { LOG_START } from '@darkroom/contracts';
import { newId } from '@darkroom/kernel';
import { advanceCheckpoint, ProjectionRebuild, ProjectionRunner, readCheckpoint } from '@darkroom/projections';
import { generationProjection } from '@darkroom/read-model-generations';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';

interface Options {
  readonly events: number;
  readonly runnerSeconds: number;
  readonly batchSize: number;
  readonly cacheSize: number;
}

function parseOptions(argv: readonly string[]): Options {
  const value = (name: string, fallback: number): number => {
    const index = argv.indexOf(`--${name}`);
    const raw = index >= 0 ? argv[index + 1] : argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
    const parsed = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`--${name} must be a non-negative integer, got ${raw}`);
    return parsed;
  };
  return {
    events: value('events', 1_000_000),
    runnerSeconds: value('runner-seconds', 15),
    batchSize: value('batch-size', 5000),
    cacheSize: value('cache-size', 50_000),
  };
}

const EVENTS_PER_TASK = 8;
const IN_FLIGHT = 2000;

/** Ordered by (t / IN_FLIGHT, k, t): each block of IN_FLIGHT tasks goes through its eight steps together. */
const SEED = `
  WITH steps AS (
    SELECT t, k,
           md5('task' || t)::uuid AS task_id,
           md5('account' || (t % 1000))::uuid AS account_id,
           md5('asset' || t)::uuid AS asset_id,
           timestamptz '2026-01-01' + t * interval '10 millisecond' AS at
      FROM generate_series(0, $1::int - 1) AS t, generate_series(0, ${EVENTS_PER_TASK - 1}) AS k
  ), typed AS (
    SELECT s.*, (ARRAY['GenerationCreated', 'CreditsReserved', 'GenerationQueued', 'GenerationProcessing',
                       'GenerationOutputStored', 'AssetStored', 'GenerationCompleted', 'CreditsCaptured'])[k + 1] AS type
      FROM steps s
  ), shaped AS (
    SELECT t, k, type,
           CASE WHEN type LIKE 'Credits%' THEN 'credit-account-' || account_id
                WHEN type = 'AssetStored' THEN 'asset-' || asset_id
                ELSE 'generation-' || task_id END AS stream_id,
           CASE type
             WHEN 'GenerationCreated' THEN jsonb_build_object('taskId', task_id, 'price', 4, 'deadline', at + interval '10 minutes',
               'createdAt', at, 'metadata', jsonb_build_object('source', 'bench'),
               'request', jsonb_build_object('accountId', account_id, 'model', 'local', 'prompt', 'a lighthouse at dusk, task ' || t,
                 'width', 1024, 'height', 1024, 'n', 1, 'seed', t, 'outputFormat', 'png'))
             WHEN 'CreditsReserved' THEN jsonb_build_object('accountId', account_id, 'reservationId', task_id, 'amount', 4, 'reservedAt', at)
             WHEN 'GenerationQueued' THEN jsonb_build_object('taskId', task_id, 'deadline', at + interval '10 minutes', 'queuedAt', at,
               'request', jsonb_build_object('accountId', account_id, 'model', 'local', 'prompt', 'a lighthouse at dusk, task ' || t,
                 'width', 1024, 'height', 1024, 'n', 1, 'seed', t, 'outputFormat', 'png'))
             WHEN 'GenerationProcessing' THEN jsonb_build_object('taskId', task_id, 'attempt', 1, 'provider', 'local',
               'providerJobId', 'job-' || t, 'processingAt', at)
             WHEN 'GenerationOutputStored' THEN jsonb_build_object('taskId', task_id, 'assetId', asset_id, 'index', 0, 'outputCount', 1, 'storedAt', at)
             WHEN 'AssetStored' THEN jsonb_build_object('assetId', asset_id, 'taskId', task_id, 'accountId', account_id, 'index', 0,
               'outputCount', 1, 'key', 'assets/' || asset_id || '.png', 'sha256', md5('bytes' || t) || md5('more' || t),
               'bytes', 123456, 'contentType', 'image/png', 'width', 1024, 'height', 1024, 'storedAt', at)
             WHEN 'GenerationCompleted' THEN jsonb_build_object('taskId', task_id, 'accountId', account_id,
               'assetIds', jsonb_build_array(asset_id), 'completedAt', at)
             ELSE jsonb_build_object('accountId', account_id, 'reservationId', task_id, 'amount', 4, 'capturedAt', at)
           END AS data,
           jsonb_build_object('correlationId', task_id, 'accountId', account_id, 'schemaVersion', 1) AS metadata
      FROM typed
  )
  INSERT INTO events (stream_id, stream_version, event_id, type, data, metadata)
  SELECT stream_id, row_number() OVER (PARTITION BY stream_id ORDER BY t / ${IN_FLIGHT}, k, t),
         md5('event' || t || '-' || k)::uuid, type, data, metadata
    FROM shaped
   ORDER BY t / ${IN_FLIGHT}, k, t`;

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await work();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, value };
}

const perSecond = (events: number, seconds: number) => Math.round(events / seconds);
const fmt = (value: number) => value.toLocaleString('en-US');

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const tasks = Math.ceil(options.events / EVENTS_PER_TASK);
  const db: TestDatabase = await createTestDatabase({ poolSize: 4 });
  try {
    const seed = await timed(() => db.sql.query(SEED, [tasks]));
    const { rows } = await db.sql.query<{ n: string }>(`SELECT count(*)::text AS n FROM events`);
    const events = Number(rows[0]?.n);
    await db.sql.query(`VACUUM ANALYZE events`);
    console.log(`seeded ${fmt(events)} events (${fmt(tasks)} tasks) in ${seed.seconds.toFixed(1)} s`);

    await db.sql.query(`CREATE TABLE events_copy (LIKE events)`);
    const ceiling = await timed(() => db.sql.query(`INSERT INTO events_copy SELECT * FROM events`));
    await db.sql.query(`DROP TABLE events_copy`);
    const ceilingRate = perSecond(events, ceiling.seconds);
    console.log(`ceiling: INSERT ... SELECT of ${fmt(events)} rows in ${ceiling.seconds.toFixed(1)} s = ${fmt(ceilingRate)} events/s`);

    const runner = new ProjectionRunner(db.sql, generationProjection);
    let runnerRate: number | undefined;
    if (options.runnerSeconds > 0) {
      const started = process.hrtime.bigint();
      const deadline = Date.now() + options.runnerSeconds * 1000;
      let applied = 0;
      while (Date.now() < deadline) {
        const batch = await runner.runOnce();
        if (batch === 0) break;
        applied += batch;
      }
      runnerRate = perSecond(applied, Number(process.hrtime.bigint() - started) / 1e9);
      console.log(`live runner (batches of 500): ${fmt(applied)} events = ${fmt(runnerRate)} events/s`);
    }
    // The switch then has no tail: the live checkpoint is already at the end of the log.
    await db.sql.transaction(async (tx) => {
      const from = await readCheckpoint(tx, runner.checkpointName, true);
      const [last] = (
        await tx.query<{ transaction_id: string; global_position: string }>(
          `SELECT transaction_id::text AS transaction_id, global_position::text AS global_position
             FROM events ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
        )
      ).rows;
      const to = last ? { transactionId: last.transaction_id, globalPosition: last.global_position } : LOG_START;
      await advanceCheckpoint(tx, runner.checkpointName, from, to);
    });

    let lastReport = 0;
    let switchStarted = 0;
    const rebuild = await timed(() =>
      new ProjectionRebuild(db.sql, generationProjection, newId(), {
        batchSize: options.batchSize,
        cacheSize: options.cacheSize,
        onProgress: ({ done, total, state }) => {
          if (state === 'switching') switchStarted = Date.now();
          if (Date.now() - lastReport > 5000) {
            lastReport = Date.now();
            console.log(`  rebuild ${fmt(done)}/${fmt(total)}`);
          }
        },
      }).run('rebuild'),
    );
    const rebuildRate = perSecond(rebuild.value.eventsDone, rebuild.seconds);
    console.log(
      `rebuild of generations: ${fmt(rebuild.value.eventsDone)} events, ${fmt(rebuild.value.rebuilt.rows)} rows in ` +
        `${rebuild.seconds.toFixed(1)} s = ${fmt(rebuildRate)} events/s (batch ${options.batchSize}, cache ${options.cacheSize}; ` +
        `the switch under the lock took ${((Date.now() - switchStarted) / 1000).toFixed(1)} s)`,
    );
    console.log('');
    console.log('| what | events | seconds | events/s | ratio to ceiling |');
    console.log('|---|---:|---:|---:|---:|');
    console.log(`| INSERT ... SELECT (ceiling) | ${fmt(events)} | ${ceiling.seconds.toFixed(1)} | ${fmt(ceilingRate)} | 1 |`);
    console.log(
      `| rebuild of generations | ${fmt(rebuild.value.eventsDone)} | ${rebuild.seconds.toFixed(1)} | ${fmt(rebuildRate)} | ${(rebuildRate / ceilingRate).toFixed(3)} |`,
    );
    if (runnerRate !== undefined) {
      console.log(`| live runner, for context | — | ${options.runnerSeconds} | ${fmt(runnerRate)} | ${(runnerRate / ceilingRate).toFixed(3)} |`);
    }
  } finally {
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
