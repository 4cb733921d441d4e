/**
 * Poller benchmark (issue 3): the provider-adapter's CPU per minute and memory while it holds
 * N tasks in `processing` at a slow provider, for N = 1,000 and N = 10,000. Both should stay
 * flat: polls are capped by the provider's `pollsPerSecond`, and nothing per task lives in
 * the adapter's memory.
 *
 *   npm run bench:poller -- [--window-seconds 60] [--warmup-seconds 15] [--counts 1000,10000] [--polls-per-second 20]
 *
 * For each N, on a throwaway database, bucket and exchange:
 * 1. a FakeReplicate whose predictions stay `starting` for hours (the slow provider);
 * 2. N rows inserted into `provider_jobs` in phase `submit`; a first provider-adapter (fast
 *    poll budget) submits all N to the fake and polls each once, so every job is `poll`
 *    with its one `ProviderJobObserved` event recorded; once its relay has published every
 *    event and its queues are empty, it is stopped (the measured process starts clean);
 * 3. the measured provider-adapter starts with `pollsPerSecond` fixed (shipped value for
 *    Replicate: 20), warms up, and over the window we sample its CPU (utime + stime from
 *    /proc/<pid>/stat), its RSS (/proc/<pid>/status) and, for context, the CPU of its
 *    PostgreSQL sessions and the rows of `provider_jobs` read (pg_stat_user_tables); the fake
 *    counts the polls it answered.
 * Needs the built app (dist/apps/provider-adapter/main.js), PostgreSQL and RabbitMQ.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'amqplib';
import { FakeReplicate } from '@darkroom/fake-providers';
import { consumerQueues } from '@darkroom/messaging';
import { createTestDatabase, rabbitMqTestUrl, startS3rver, uniqueName, type RunningS3rver, type TestDatabase } from '@darkroom/testing';
import { deleteRunTopology } from '../../apps/e2e/src/support/broker';
import { startService, workspaceRoot, type ServiceProcess } from '../../apps/e2e/src/support/processes';
import { cpuSeconds, cpuSecondsOf, rssMiB } from './proc-stats';

interface Options {
  readonly windowSeconds: number;
  readonly warmupSeconds: number;
  readonly counts: readonly number[];
  readonly pollsPerSecond: number;
}

interface Point {
  readonly tasks: number;
  readonly windowSeconds: number;
  readonly submitSeconds: number;
  readonly pollsPerMinute: number;
  readonly cpuPerMinute: number;
  readonly pgCpuPerMinute: number;
  /** Rows of `provider_jobs` read per minute (sequential and index scans): per-row work shows here. */
  readonly rowsReadPerMinute: number;
  readonly rssStart: number;
  readonly rssEnd: number;
  readonly rssMax: number;
  readonly rssMean: number;
}

const MODEL = 'nano-banana-replicate';
/** The fake keeps every prediction `starting` this long: far beyond any run. */
const HELD_MS = 6 * 60 * 60 * 1000;
const AMQP_URL = rabbitMqTestUrl();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function parseOptions(argv: readonly string[]): Options {
  const value = (name: string): string | undefined => {
    const index = argv.indexOf(`--${name}`);
    if (index >= 0) return argv[index + 1];
    return argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
  };
  const positive = (name: string, fallback: number): number => {
    const raw = value(name);
    const parsed = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive number, got ${raw}`);
    return parsed;
  };
  const counts = (value('counts') ?? '1000,10000').split(',').map((count) => Number(count.trim()));
  if (counts.some((count) => !Number.isInteger(count) || count <= 0)) throw new Error('--counts must be positive integers, e.g. 1000,10000');
  return {
    windowSeconds: positive('window-seconds', 60),
    warmupSeconds: positive('warmup-seconds', 15),
    counts,
    pollsPerSecond: positive('polls-per-second', 20),
  };
}

/** Everything one point creates, so it can all be removed again whatever happened. */
class Scratch {
  readonly run = uniqueName('darkroom_bench');
  readonly exchange = `${this.run}.events`;
  readonly catalogDir = mkdtempSync(join(tmpdir(), 'darkroom-bench-'));
  db?: TestDatabase;
  s3?: RunningS3rver;
  fake?: FakeReplicate;
  adapter?: ServiceProcess;

  async cleanUp(): Promise<void> {
    const steps: [string, () => Promise<unknown>][] = [
      ['provider-adapter', async () => this.adapter?.kill()],
      ['fake', async () => this.fake?.stop()],
      ['queues', () => deleteRunTopology(this.exchange, this.run, ['provider-adapter'])],
      ['bucket', async () => this.s3?.close()],
      ['database', async () => this.db?.drop()],
      ['catalog', async () => rmSync(this.catalogDir, { recursive: true, force: true })],
    ];
    for (const [what, step] of steps) {
      await step().catch((error: unknown) => console.error(`cleanup of ${what} failed: ${String(error)}`));
    }
  }
}


function writeCatalog(scratch: Scratch, name: string, pollsPerSecond: number, pollIntervalSeconds: number): string {
  const file = join(scratch.catalogDir, `${name}.json`);
  const shipped = JSON.parse(readFileSync(join(workspaceRoot, 'libs/providers/src/catalog/models.json'), 'utf8')) as { models: { id: string }[] };
  const model = shipped.models.find((entry) => entry.id === MODEL)!;
  writeFileSync(
    file,
    JSON.stringify({
      // Concurrency far above N: the submit phase is not what is measured.
      providers: { replicate: { concurrency: 20_000, pollsPerSecond } },
      models: [{ ...model, pollIntervalSeconds, deadlineSeconds: 86_400 }],
    }),
  );
  return file;
}

function adapterEnv(scratch: Scratch, catalogFile: string): NodeJS.ProcessEnv {
  const fake = scratch.fake!;
  const { port } = new URL(fake.server.url);
  return {
    DATABASE_URL: scratch.db!.url,
    DATABASE_POOL_SIZE: '10',
    AMQP_URL,
    AMQP_EXCHANGE: scratch.exchange,
    AMQP_QUEUE_PREFIX: scratch.run,
    S3_ENDPOINT: scratch.s3!.endpoint,
    S3_BUCKET: scratch.run.replace(/_/g, '-').toLowerCase(),
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    S3_FORCE_PATH_STYLE: 'true',
    LOG_LEVEL: 'warn',
    // Replicate only, and no WEBHOOK_BASE_URL: polling is the only way results could arrive.
    REPLICATE_API_TOKEN: fakeToken,
    REPLICATE_BASE_URL: fake.url,
    PROVIDER_HTTP_HOSTS: `127.0.0.1:${port},localhost:${port}`,
    MODEL_CATALOG_FILE: catalogFile,
  };
}

const fakeToken = `r8_bench_${randomBytes(8).toString('hex')}`;

/** N submits as the GenerationQueued handler would schedule them, in one statement. */
async function insertJobs(db: TestDatabase, tasks: number): Promise<void> {
  await db.sql.query(
    `INSERT INTO provider_jobs (task_id, account_id, attempt, model, provider, phase, request, deadline, cause_event_id, next_run_at)
     SELECT gen_random_uuid(), $2::uuid, 1, $3, 'replicate', 'submit',
            jsonb_build_object('accountId', $2::text, 'model', $3::text, 'prompt', 'bench task ' || i, 'width', 1024, 'height', 1024,
                               'n', 1, 'seed', i, 'outputFormat', 'png', 'aspectRatio', '1:1'),
            now() + interval '1 day', gen_random_uuid(), now()
       FROM generate_series(1, $1::int) AS i`,
    [tasks, '00000000-0000-4000-8000-00000000be4c', MODEL],
  );
}

async function phaseCounts(db: TestDatabase): Promise<Record<string, number>> {
  const { rows } = await db.sql.query<{ phase: string; polled: boolean; count: string }>(
    `SELECT phase, polls > 0 AS polled, count(*) AS count FROM provider_jobs GROUP BY 1, 2`,
  );
  return Object.fromEntries(rows.map((row) => [`${row.phase}${row.phase === 'poll' ? (row.polled ? '+polled' : '') : ''}`, Number(row.count)]));
}

/** Waits until every job is in phase `poll` and was polled at least once; prints progress. */
async function waitForAllPolled(db: TestDatabase, tasks: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastPrint = 0;
  for (;;) {
    const counts = await phaseCounts(db);
    if ((counts['poll+polled'] ?? 0) === tasks) return;
    if (Object.keys(counts).some((phase) => !['submit', 'poll', 'poll+polled'].includes(phase))) {
      throw new Error(`A job left submit/poll: ${JSON.stringify(counts)} (the fake should hold every job)`);
    }
    if (Date.now() > deadline) throw new Error(`Jobs not all polled in time: ${JSON.stringify(counts)}`);
    if (Date.now() - lastPrint > 10_000) {
      console.log(`    ${JSON.stringify(counts)}`);
      lastPrint = Date.now();
    }
    await sleep(1000);
  }
}

/** Rows of `provider_jobs` read so far by any scan (pg_stat_user_tables; backends flush it about every second). */
async function rowsRead(db: TestDatabase): Promise<number> {
  const { rows } = await db.sql.query<{ read: string }>(
    `SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) AS read FROM pg_stat_user_tables WHERE relname = 'provider_jobs'`,
  );
  return Number(rows[0]?.read ?? 0);
}

/**
 * Waits until the adapter has caught up with what the setup left behind: the relay has
 * published every event and its consumer queues are empty (it consumes its own
 * `ProviderJobObserved` events). Otherwise the measured process would spend its window on
 * N leftover messages instead of polling.
 */
async function waitForQuiet(scratch: Scratch, timeoutMs: number): Promise<void> {
  const connection = await connect(AMQP_URL);
  try {
    const channel = await connection.createChannel();
    const { main, retry } = consumerQueues(scratch.run, 'provider-adapter');
    const deadline = Date.now() + timeoutMs;
    let quietSince: number | undefined;
    for (;;) {
      const { rows } = await scratch.db!.sql.query<{ behind: string }>(
        // The relay's order is (transaction_id, global_position): positions alone may interleave.
        `SELECT count(*) AS behind FROM events e
          WHERE NOT EXISTS (SELECT 1 FROM checkpoints c
                             WHERE c.name = 'relay:relay' AND (e.transaction_id, e.global_position) <= (c.transaction_id, c.global_position))`,
      );
      const queued = (await channel.checkQueue(main)).messageCount + (await channel.checkQueue(retry)).messageCount;
      const quiet = Number(rows[0].behind) === 0 && queued === 0;
      quietSince = quiet ? (quietSince ?? Date.now()) : undefined;
      if (quietSince !== undefined && Date.now() - quietSince >= 3000) return;
      if (Date.now() > deadline) throw new Error(`The adapter did not catch up: ${rows[0].behind} events unpublished, ${queued} messages queued`);
      await sleep(500);
    }
  } finally {
    await connection.close();
  }
}

/** PIDs of the PostgreSQL backends serving the provider-adapter on this database. */
async function adapterBackends(db: TestDatabase): Promise<number[]> {
  const { rows } = await db.sql.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'darkroom-provider-adapter'`,
  );
  return rows.map((row) => row.pid);
}

/** The point being measured, cleaned up on Ctrl-C too. */
let current: Scratch | undefined;

async function measurePoint(tasks: number, options: Options): Promise<Point> {
  const scratch = (current = new Scratch());
  const logDir = join(workspaceRoot, 'test-results/bench-logs', scratch.run);
  try {
    scratch.db = await createTestDatabase({ poolSize: 2 });
    scratch.s3 = await startS3rver();
    scratch.fake = await new FakeReplicate({ apiToken: fakeToken, startingMs: HELD_MS }).start();

    console.log(`  N=${tasks}: submitting through a setup provider-adapter`);
    const submitStarted = Date.now();
    await insertJobs(scratch.db, tasks);
    const setupCatalog = writeCatalog(scratch, 'setup', 2_000, 0.2);
    scratch.adapter = await startService('provider-adapter', adapterEnv(scratch, setupCatalog), join(logDir, 'setup'));
    await waitForAllPolled(scratch.db, tasks, 30 * 60_000);
    await waitForQuiet(scratch, 10 * 60_000);
    const submitSeconds = (Date.now() - submitStarted) / 1000;
    await scratch.adapter.kill();
    scratch.adapter = undefined;
    if (scratch.fake.meter.active !== tasks) throw new Error(`The fake holds ${scratch.fake.meter.active} predictions, expected ${tasks}`);

    console.log(`  N=${tasks}: all ${tasks} held at the fake, setup done after ${submitSeconds.toFixed(0)} s; measured provider-adapter starts`);
    const catalog = writeCatalog(scratch, 'measured', options.pollsPerSecond, 1);
    scratch.adapter = await startService('provider-adapter', adapterEnv(scratch, catalog), join(logDir, 'measured'));
    const pid = scratch.adapter.child.pid!;
    await sleep(options.warmupSeconds * 1000);

    const backends = await adapterBackends(scratch.db);
    const fakePolls = () => scratch.fake!.server.requests.filter((request) => request.method === 'GET').length;
    const startRows = await rowsRead(scratch.db);
    const start = { at: Date.now(), cpu: cpuSeconds(pid), pg: cpuSecondsOf(backends), polls: fakePolls(), rss: rssMiB(pid) };
    const rss: number[] = [start.rss];
    while (Date.now() - start.at < options.windowSeconds * 1000) {
      await sleep(1000);
      rss.push(rssMiB(pid));
    }
    const end = { at: Date.now(), cpu: cpuSeconds(pid), pg: cpuSecondsOf(backends), polls: fakePolls() };
    const minutes = (end.at - start.at) / 60_000;
    const endRows = await rowsRead(scratch.db);

    const counts = await phaseCounts(scratch.db);
    if ((counts['poll+polled'] ?? 0) !== tasks || scratch.fake.meter.active !== tasks) {
      throw new Error(`Jobs were not all held during the window: ${JSON.stringify(counts)}, fake holds ${scratch.fake.meter.active}`);
    }
    return {
      tasks,
      windowSeconds: (end.at - start.at) / 1000,
      submitSeconds,
      pollsPerMinute: (end.polls - start.polls) / minutes,
      cpuPerMinute: (end.cpu - start.cpu) / minutes,
      pgCpuPerMinute: (end.pg - start.pg) / minutes,
      rowsReadPerMinute: (endRows - startRows) / minutes,
      rssStart: start.rss,
      rssEnd: rss[rss.length - 1],
      rssMax: Math.max(...rss),
      rssMean: rss.reduce((sum, value) => sum + value, 0) / rss.length,
    };
  } finally {
    await scratch.cleanUp();
    current = undefined;
  }
}

function report(points: readonly Point[], options: Options): void {
  const fixed = (value: number, digits = 2) => value.toFixed(digits);
  const rows = [
    ['tasks held', 'polls/min', 'adapter CPU s/min', 'RSS MiB start', 'RSS MiB end', 'RSS MiB mean', 'RSS MiB max', 'its PG sessions CPU s/min', 'provider_jobs rows read/min'],
    ...points.map((p) => [
      p.tasks.toLocaleString('en-US'),
      fixed(p.pollsPerMinute, 0),
      fixed(p.cpuPerMinute),
      fixed(p.rssStart, 1),
      fixed(p.rssEnd, 1),
      fixed(p.rssMean, 1),
      fixed(p.rssMax, 1),
      fixed(p.pgCpuPerMinute),
      Math.round(p.rowsReadPerMinute).toLocaleString('en-US'),
    ]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  console.log(`\nprovider-adapter poller, pollsPerSecond ${options.pollsPerSecond}, window ${options.windowSeconds} s after ${options.warmupSeconds} s warm-up`);
  for (const row of rows) console.log(`  ${row.map((cell, column) => cell.padStart(widths[column])).join('  ')}`);
  if (points.length >= 2) {
    const [first, last] = [points[0], points[points.length - 1]];
    const ratio = (a: number, b: number) => (a === 0 ? 'n/a' : `${fixed(b / a)}×`);
    console.log(
      `\n  ${last.tasks.toLocaleString('en-US')} vs ${first.tasks.toLocaleString('en-US')} tasks (${fixed(last.tasks / first.tasks, 0)}× the tasks): ` +
        `polls/min ${ratio(first.pollsPerMinute, last.pollsPerMinute)}, adapter CPU ${ratio(first.cpuPerMinute, last.cpuPerMinute)}, ` +
        `RSS mean ${ratio(first.rssMean, last.rssMean)}, RSS max ${ratio(first.rssMax, last.rssMax)}; ` +
        `PG CPU ${ratio(first.pgCpuPerMinute, last.pgCpuPerMinute)}, rows read ${ratio(first.rowsReadPerMinute, last.rowsReadPerMinute)}`,
    );
  }
}

async function main(): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: cleaning up`);
      void (current?.cleanUp() ?? Promise.resolve()).finally(() => process.exit(130));
    });
  }
  const options = parseOptions(process.argv.slice(2));
  console.log(`poller benchmark: N = ${options.counts.join(', ')}; provider-adapter from dist/apps/provider-adapter/main.js`);
  const points: Point[] = [];
  for (const tasks of options.counts) points.push(await measurePoint(tasks, options));
  report(points, options);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
