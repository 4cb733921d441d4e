/**
 * Claim benchmark (issue 17): the cost of one fair claim round of the provider work table
 * with `--small` and `--rows` submits waiting, spread over `--accounts` accounts in three
 * lanes. It must stay flat: the claim reads due submits in fair-queue order from a partial
 * index (decision 0024), never every waiting row.
 *
 *   npm run bench:claim -- [--small 1000] [--rows 100000] [--accounts 1000] [--runs 300]
 *
 * For each size, on a throwaway database (TEST_DATABASE_URL's server): `--accounts` accounts,
 * N submits queued as the GenerationQueued handler queues them (account i % accounts, so every
 * account has a backlog; 10 % interactive, 10 % batch), N/10 finished rows beside them and
 * four jobs of another provider being polled; VACUUM ANALYZE. Then, through the code the
 * provider-adapter runs, `--runs` times each:
 * - a claim round: the advisory lock, the in-flight count, the fair claim and the clock move
 *   (limit 4, concurrency 4); the rows claimed are then queued again at their account's tail
 *   (untimed), which frees the slots and keeps N waiting;
 * - the due probe that opens every round;
 * - queueing one more submit (the handler's statement).
 * Prints median and p99 per size, the ratio of the medians, how many accounts the first 100
 * starts went to (round-robin: 100), and EXPLAIN (ANALYZE, BUFFERS) of the claim's read at
 * the large size.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { GenerationRequest } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';
import { LANE_OFFSET } from '../../libs/services/provider-adapter/src/work/fair-queue';
import { ProviderJobsRepository } from '../../libs/services/provider-adapter/src/work/provider-jobs.repository';

interface Options {
  readonly small: number;
  readonly rows: number;
  readonly accounts: number;
  readonly runs: number;
}

function parseOptions(argv: readonly string[]): Options {
  const value = (name: string, fallback: number): number => {
    const index = argv.indexOf(`--${name}`);
    const raw = index >= 0 ? argv[index + 1] : argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
    const parsed = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`--${name} must be a positive integer, got ${raw}`);
    return parsed;
  };
  return { small: value('small', 1000), rows: value('rows', 100_000), accounts: value('accounts', 1000), runs: value('runs', 300) };
}

const PROVIDER = 'bfl';
const LIMIT = 4;

/**
 * N submits queued as `ProviderJobsRepository.schedule` would queue them one by one: the k-th
 * task of an account starts at k (weight 1, clock at 0) in its lane, and each flow's finish
 * is its last start + 1.
 */
const SEED: readonly string[] = [
  `INSERT INTO accounts (id, name) SELECT md5('acct' || a)::uuid, 'bench ' || a FROM generate_series(0, $2::int - 1) a WHERE $1::int > 0`,
  `INSERT INTO provider_jobs (task_id, account_id, attempt, model, provider, phase, request, deadline, cause_event_id, next_run_at,
                             priority, queue_start, queue_key)
   SELECT md5('task' || i)::uuid, md5('acct' || (i % $2::int))::uuid, 1, 'flux-2-pro', '${PROVIDER}', 'submit',
          jsonb_build_object('accountId', md5('acct' || (i % $2::int))::uuid::text, 'model', 'flux-2-pro', 'prompt', 'bench ' || i,
                             'width', 64, 'height', 64, 'n', 1, 'seed', i, 'outputFormat', 'png'),
          now() + interval '1 day', md5('cause' || i)::uuid, now() - interval '1 hour' + i * interval '1 millisecond',
          lane.priority, (i / $2::int)::double precision,
          (i / $2::int)::double precision + CASE lane.priority WHEN 'interactive' THEN ${LANE_OFFSET.interactive}
                                                               WHEN 'standard' THEN ${LANE_OFFSET.standard} ELSE ${LANE_OFFSET.batch} END
     FROM generate_series(0, $1::int - 1) i,
          LATERAL (SELECT CASE WHEN i % 10 = 3 THEN 'interactive' WHEN i % 10 = 7 THEN 'batch' ELSE 'standard' END AS priority) lane`,
  `INSERT INTO provider_queue_flows (provider, account_id, priority, finish)
   SELECT '${PROVIDER}', account_id, priority, max(queue_start) + 1 FROM provider_jobs WHERE $1::int > 0 AND $2::int > 0 GROUP BY account_id, priority`,
  // Finished work beside the waiting (not in the partial indexes, but in the table).
  `INSERT INTO provider_jobs (task_id, account_id, attempt, model, provider, phase, request, deadline, cause_event_id, next_run_at)
   SELECT md5('done' || i)::uuid, md5('acct' || (i % $2::int))::uuid, 1, 'flux-2-pro', '${PROVIDER}', 'done', '{}'::jsonb,
          now(), md5('done-cause' || i)::uuid, now() - interval '2 hours'
     FROM generate_series(0, $1::int / 10) i WHERE $2::int > 0`,
  // Another provider's jobs in flight.
  `INSERT INTO provider_jobs (task_id, account_id, attempt, model, provider, phase, request, deadline, cause_event_id, next_run_at)
   SELECT md5('poll' || i)::uuid, md5('acct0')::uuid, 1, 'nano-banana-fal', 'fal', 'poll', '{}'::jsonb, now() + interval '1 day',
          md5('poll-cause' || i)::uuid, now() + interval '1 hour'
     FROM generate_series(1, 4) i WHERE $1::int > 0 AND $2::int > 0`,
];

interface Timing {
  readonly median: number;
  readonly p99: number;
  readonly runs: number;
}

interface Point {
  readonly rows: number;
  readonly claim: Timing;
  readonly due: Timing;
  readonly queue: Timing;
  readonly accountsServed: number;
  readonly plan: string[];
}

async function seeded(rows: number, options: Options): Promise<TestDatabase> {
  const db = await createTestDatabase({ poolSize: 4 });
  const started = Date.now();
  for (const statement of SEED) await db.sql.query(statement, [rows, options.accounts]);
  await db.sql.query(`VACUUM ANALYZE`);
  console.log(`seeded ${fmt(rows)} waiting submits over ${fmt(options.accounts)} accounts in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return db;
}

function stats(samples: number[]): Timing {
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { median: at(0.5), p99: at(0.99), runs: samples.length };
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const before = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - before) / 1e6;
}

async function measure(db: TestDatabase, waiting: number, options: Options): Promise<Point> {
  const repo = new ProviderJobsRepository(db.sql);
  // The slots are freed and the waiting count kept: the rows claimed are queued again at their account's tail.
  const finish = (ids: readonly string[]) =>
    db.sql.query(
      `UPDATE provider_jobs SET lease_owner = NULL, lease_until = NULL, queue_start = queue_start + $2, queue_key = queue_key + $2
        WHERE task_id = ANY($1::uuid[])`,
      [ids, Math.ceil(waiting / options.accounts)],
    );
  const round = () => repo.claim({ provider: PROVIDER, phase: 'submit', limit: LIMIT, owner: 'bench', leaseMs: 60_000, concurrency: LIMIT });

  const served: string[] = [];
  for (let i = 0; i < 3; i++) await finish((await round()).map((row) => row.taskId)); // warm-up
  const claims: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    let rows: Awaited<ReturnType<typeof round>> = [];
    claims.push(await timed(async () => (rows = await round())));
    if (rows.length !== LIMIT) throw new Error(`A claim round took ${rows.length} rows, expected ${LIMIT}`);
    served.push(...rows.map((row) => row.accountId));
    await finish(rows.map((row) => row.taskId));
  }
  const dues: number[] = [];
  for (let i = 0; i < options.runs; i++) dues.push(await timed(() => repo.due([PROVIDER, 'fal', 'openai'])));
  const queues: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    const accountId = randomUUID();
    const request: GenerationRequest = { accountId, model: 'flux-2-pro', prompt: 'p', width: 64, height: 64, n: 1, seed: i, outputFormat: 'png' };
    const job = { taskId: randomUUID(), accountId, model: 'flux-2-pro', provider: PROVIDER, request, deadline: new Date(Date.now() + 86_400_000).toISOString(), causeEventId: randomUUID() };
    queues.push(await timed(() => db.sql.transaction((tx) => repo.schedule(tx, job))));
  }
  return {
    rows: 0,
    claim: stats(claims),
    due: stats(dues),
    queue: stats(queues),
    accountsServed: new Set(served.slice(0, 100)).size,
    plan: await explainClaim(db.sql),
  };
}

/** The claim's read, as `claimSubmits` runs it, under EXPLAIN (ANALYZE, BUFFERS), rolled back. */
async function explainClaim(sql: Sql): Promise<string[]> {
  const lines: string[] = [];
  await sql
    .transaction(async (tx) => {
      const { rows } = await tx.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN (ANALYZE, BUFFERS)
         SELECT task_id FROM provider_jobs
          WHERE provider = $1 AND phase = 'submit' AND next_run_at <= now() AND (lease_until IS NULL OR lease_until < now())
          ORDER BY queue_key, next_run_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [PROVIDER, LIMIT],
      );
      lines.push(...rows.map((row) => row['QUERY PLAN']));
      throw new RolledBack();
    })
    .catch((error: unknown) => {
      if (!(error instanceof RolledBack)) throw error;
    });
  return lines;
}

class RolledBack extends Error {}

const fmt = (value: number) => value.toLocaleString('en-US');
const ms = (value: number) => value.toFixed(3);

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const points: Point[] = [];
  for (const rows of [options.small, options.rows]) {
    const db = await seeded(rows, options);
    try {
      points.push({ ...(await measure(db, rows, options)), rows });
    } finally {
      await db.drop();
    }
  }
  const [small, large] = points as [Point, Point];
  console.log('');
  console.log(`| step | ms at ${fmt(small.rows)} waiting (median / p99) | ms at ${fmt(large.rows)} waiting (median / p99) | ratio of medians |`);
  console.log('|---|---:|---:|---:|');
  for (const [name, key] of [
    ['claim round (lock, in-flight count, fair claim, clock)', 'claim'],
    ['due probe (opens every round)', 'due'],
    ['queue one submit (GenerationQueued handler)', 'queue'],
  ] as const) {
    const [a, b] = [small[key], large[key]];
    console.log(`| ${name} | ${ms(a.median)} / ${ms(a.p99)} | ${ms(b.median)} / ${ms(b.p99)} | ${(b.median / a.median).toFixed(2)} |`);
  }
  console.log(`\n${options.runs} runs each over ${fmt(options.accounts)} accounts; the first 100 starts went to ${small.accountsServed} / ${large.accountsServed} accounts`);
  console.log(`\nclaim read at ${fmt(large.rows)} waiting:`);
  for (const line of large.plan) console.log(`  ${line}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
