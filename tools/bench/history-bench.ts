/**
 * History benchmark (issue 12): an account's history must not slow it down. Every query on a
 * hot path whose table grows with an account's history is timed with that account holding
 * `--small` rows of history and, on a second database, `--rows` rows.
 *
 *   npm run bench:history -- [--rows 1000000] [--small 1000] [--runs 200] [--budget-ms 5000]
 *
 * For each size, on a throwaway database (TEST_DATABASE_URL's server, default the local
 * PostgreSQL): seeds one account ("measured") with that many rows in each history table
 * (ledger entries, generations, events, idempotency keys, webhook deliveries, inbox,
 * provider jobs, assets, API keys, rate-limit buckets), next to 50 other accounts with 200
 * rows each and one account keeping its assets a single day; VACUUM ANALYZE; then runs each
 * query `--runs` times (fewer when one run set takes longer than `--budget-ms`) through the
 * code the services run. Prints median and p99 per size and the ratio of the medians, then
 * `EXPLAIN (ANALYZE, BUFFERS)` of every statement of each query whose ratio exceeds 1.5.
 */
import 'reflect-metadata';
import type { Sql, SqlResult } from '@darkroom/database';
import { generationStream } from '@darkroom/contracts';
import { PgEventStore } from '@darkroom/event-store';
import { newId, systemClock } from '@darkroom/kernel';
import { handleOnce } from '@darkroom/messaging';
import { loadAsset } from '@darkroom/read-model-assets';
import { creditBalanceProjection } from '@darkroom/read-model-credit-balances';
import { listGenerations } from '@darkroom/read-model-generations';
import { listLedgerEntries } from '@darkroom/read-model-ledger-entries';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';
import { AccountsRepository } from '../../libs/services/gateway/src/accounts/accounts.repository';
import type { GatewayOptions } from '../../libs/services/gateway/src/gateway.options';
import { RateLimitService } from '../../libs/services/gateway/src/http/rate-limit/rate-limit.service';
import { IdempotencyService } from '../../libs/services/gateway/src/idempotency/idempotency.service';
import { WebhookDeliveriesRepository } from '../../libs/services/outbound-webhooks/src/webhook-deliveries.repository';
import { ProviderJobsRepository } from '../../libs/services/provider-adapter/src/work/provider-jobs.repository';
import { RetentionSweeper } from '../../libs/services/storage/src/retention/retention-sweeper';

interface Options {
  readonly rows: number;
  readonly small: number;
  readonly runs: number;
  readonly budgetMs: number;
}

function parseOptions(argv: readonly string[]): Options {
  const value = (name: string, fallback: number): number => {
    const index = argv.indexOf(`--${name}`);
    const raw = index >= 0 ? argv[index + 1] : argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
    const parsed = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`--${name} must be a positive integer, got ${raw}`);
    return parsed;
  };
  return { rows: value('rows', 1_000_000), small: value('small', 1000), runs: value('runs', 200), budgetMs: value('budget-ms', 5000) };
}

const MEASURED = '00000000-0000-4000-8000-00000000000a';
/** Keeps its assets one day: the shortest retention, which bounds the retention sweep's scan. */
const SHORT_RETENTION = '00000000-0000-4000-8000-00000000000b';
const OTHERS = 50;
const OTHER_ROWS = 200;
/** Oldest rows of the measured account's history that carry the rare status and model. */
const RARE = 5;

const uuid = (label: string) => `md5(${label})::uuid`;

/**
 * The measured account's history: `$1` rows per table, row i older as i is smaller; other
 * accounts' rows after it. Statements run one by one (each a generate_series).
 */
const SEED: readonly string[] = [
  `INSERT INTO accounts (id, name) VALUES ('${MEASURED}', 'measured')`,
  `INSERT INTO accounts (id, name, retention_days) VALUES ('${SHORT_RETENTION}', 'one day', 1)`,
  `INSERT INTO accounts (id, name) SELECT ${uuid(`'other' || o`)}, 'other ' || o FROM generate_series(1, ${OTHERS}) o`,
  `INSERT INTO credit_balances (account_id, granted, reserved, captured, available, updated_at)
   SELECT id, 1000000, 0, 0, 1000000, now() FROM accounts`,
  // Reserved then captured, pairwise; positions interleave with other accounts' (x10).
  `INSERT INTO ledger_entries (id, account_id, type, amount, task_id, global_position, created_at, resolved_at)
   SELECT ${uuid(`'entry' || i`)}, '${MEASURED}', CASE WHEN i % 2 = 1 THEN 'reserved' ELSE 'captured' END, 4,
          ${uuid(`'task' || ((i + 1) / 2)`)}::text, i * 10, now() - ($1::int - i) * interval '1 second',
          CASE WHEN i % 2 = 1 THEN now() - ($1::int - i - 1) * interval '1 second' END
     FROM generate_series(1, $1::int) i`,
  `INSERT INTO ledger_entries (id, account_id, type, amount, task_id, global_position, created_at)
   SELECT ${uuid(`'other-entry' || o || '-' || i`)}, ${uuid(`'other' || o`)}, 'granted', 100, NULL, i * 10 + o % 10, now() - i * interval '1 minute'
     FROM generate_series(1, ${OTHERS}) o, generate_series(1, ${OTHER_ROWS}) i`,
  // Mostly completed on the default model; the oldest RARE canceled on a rare model; 3 % failed; 2 processing now.
  `INSERT INTO generations (id, account_id, status, model, prompt, params, price, credits_state, deadline, created_at, completed_at, failed_at, canceled_at)
   SELECT ${uuid(`'task' || i`)}, '${MEASURED}',
          CASE WHEN i <= ${RARE} THEN 'canceled' WHEN i > $1::int - 2 THEN 'processing' WHEN i % 33 = 0 THEN 'failed' ELSE 'completed' END,
          CASE WHEN i <= ${RARE} THEN 'rare-model' ELSE 'local' END,
          'a lighthouse at dusk ' || i, '{"width": 1024, "height": 1024, "n": 1}', 4, 'captured',
          now() + interval '10 minutes', now() - ($1::int - i) * interval '1 second',
          now() - ($1::int - i) * interval '1 second', NULL, NULL
     FROM generate_series(1, $1::int) i`,
  `INSERT INTO generations (id, account_id, status, model, prompt, params, price, credits_state, deadline, created_at)
   SELECT ${uuid(`'other-task' || o || '-' || i`)}, ${uuid(`'other' || o`)}, 'completed', 'local', 'p', '{}', 4, 'captured',
          now(), now() - i * interval '1 minute'
     FROM generate_series(1, ${OTHERS}) o, generate_series(1, ${OTHER_ROWS}) i`,
  // Five events per task, each carrying its task as correlation id.
  `INSERT INTO events (stream_id, stream_version, event_id, type, data, metadata)
   SELECT 'generation-' || ${uuid(`'task' || (i / 5)`)}, i % 5 + 1, ${uuid(`'event' || i`)},
          (ARRAY['GenerationCreated', 'GenerationQueued', 'GenerationProcessing', 'GenerationOutputStored', 'GenerationCompleted'])[i % 5 + 1],
          jsonb_build_object('taskId', ${uuid(`'task' || (i / 5)`)}),
          jsonb_build_object('correlationId', ${uuid(`'task' || (i / 5)`)}, 'accountId', '${MEASURED}', 'schemaVersion', 1)
     FROM generate_series(0, $1::int - 1) i`,
  `INSERT INTO idempotency_keys (account_id, key, fingerprint, task_id, state, claim_token, claimed_at, response_status, response_body, expires_at)
   SELECT '${MEASURED}', 'key-' || i, 'fingerprint', ${uuid(`'task' || i`)}, 'completed', ${uuid(`'claim' || i`)}, now(), 201,
          json_build_object('id', ${uuid(`'task' || i`)}), now() + interval '1 day'
     FROM generate_series(1, $1::int) i`,
  `INSERT INTO rate_limits (key, points, expire)
   SELECT 'api_key:' || ${uuid(`'api-key' || i`)}, 1, (extract(epoch FROM now()) * 1000)::bigint + 60000 FROM generate_series(1, $1::int) i`,
  `INSERT INTO api_keys (id, account_id, prefix, key_hash, name)
   SELECT ${uuid(`'api-key' || i`)}, '${MEASURED}', 'dk_' || i, md5('hash' || i) || md5('more' || i), NULL FROM generate_series(1, $1::int) i`,
  `INSERT INTO webhook_endpoints (id, account_id, url, events, secret)
   SELECT ${uuid(`'endpoint' || id`)}, id, 'https://example.com/hook', ARRAY['generation.completed'], 'whsec_x' FROM accounts`,
  `INSERT INTO webhook_deliveries (id, endpoint_id, account_id, event_id, message_id, event_type, task_id, payload, status, attempts, created_at, updated_at)
   SELECT ${uuid(`'delivery' || i`)}, ${uuid(`'endpoint' || '${MEASURED}'`)}, '${MEASURED}', ${uuid(`'event' || i`)}, 'msg_' || i,
          'generation.completed', ${uuid(`'task' || i`)}, '{}', 'succeeded', 1,
          now() - ($1::int - i) * interval '1 second', now()
     FROM generate_series(1, $1::int) i`,
  // Per-request webhooks (decision 0026): as many deliveries with no endpoint, and the accounts' default secrets.
  `INSERT INTO webhook_deliveries (id, endpoint_id, url, account_id, event_id, message_id, event_type, task_id, payload, status, attempts, created_at, updated_at)
   SELECT ${uuid(`'request-delivery' || i`)}, NULL, 'https://example.com/task-hook', '${MEASURED}', ${uuid(`'request-event' || i`)}, 'msg_r' || i,
          'generation.completed', ${uuid(`'task' || i`)}, '{}', 'succeeded', 1,
          now() - ($1::int - i) * interval '1 second', now()
     FROM generate_series(1, $1::int) i`,
  `INSERT INTO webhook_signing_secrets (account_id, secret) SELECT id, 'whsec_x' FROM accounts`,
  // Ten deliveries due now (the dispatcher's claim round), and five per-request ones.
  `INSERT INTO webhook_deliveries (id, endpoint_id, url, account_id, event_id, message_id, event_type, task_id, payload, status, next_attempt_at)
   SELECT ${uuid(`'due-request-delivery' || i`)}, NULL, 'https://example.com/task-hook', '${MEASURED}', ${uuid(`'due-request-event' || i`)}, 'msg_due_r' || i,
          'generation.completed', ${uuid(`'task' || i`)}, '{}', 'pending', now() - interval '1 second'
     FROM generate_series(1, 5) i`,
  `INSERT INTO webhook_deliveries (id, endpoint_id, account_id, event_id, message_id, event_type, task_id, payload, status, next_attempt_at)
   SELECT ${uuid(`'due-delivery' || i`)}, ${uuid(`'endpoint' || '${MEASURED}'`)}, '${MEASURED}', ${uuid(`'due-event' || i`)}, 'msg_due_' || i,
          'generation.completed', ${uuid(`'task' || i`)}, '{}', 'pending', now() - interval '1 second'
     FROM generate_series(1, 10) i`,
  `INSERT INTO inbox (consumer, event_id) SELECT 'ledger', ${uuid(`'event' || i`)} FROM generate_series(1, $1::int) i`,
  `INSERT INTO provider_jobs (task_id, account_id, attempt, model, provider, phase, request, deadline, cause_event_id, next_run_at)
   SELECT ${uuid(`'task' || i`)}, '${MEASURED}', 1, 'local', 'local', CASE WHEN i > $1::int - 10 THEN 'submit' ELSE 'done' END,
          '{}', now() + interval '10 minutes', ${uuid(`'event' || i`)}, now() - ($1::int - i) * interval '1 second'
     FROM generate_series(1, $1::int) i`,
  // Assets over the last 20 days (inside the default 30-day retention), and ten of an account keeping them a day.
  `INSERT INTO assets (id, task_id, account_id, output_index, key, content_type, bytes, sha256, width, height, stored_at)
   SELECT ${uuid(`'asset' || i`)}, ${uuid(`'task' || i`)}, '${MEASURED}', 0, 'accounts/x/' || i || '.png', 'image/png', 123456,
          md5('bytes' || i) || md5('more' || i), 1024, 1024, now() - ($1::int - i) * (interval '20 days' / $1::int)
     FROM generate_series(1, $1::int) i`,
  `INSERT INTO assets (id, task_id, account_id, output_index, key, content_type, bytes, sha256, width, height, stored_at)
   SELECT ${uuid(`'short-asset' || i`)}, ${uuid(`'short-task' || i`)}, '${SHORT_RETENTION}', 0, 'accounts/y/' || i || '.png', 'image/png', 1,
          md5('short' || i) || md5('short' || i), 64, 64, now() - interval '2 days'
     FROM generate_series(1, 10) i`,
];

/** What a query did the last time it ran: its statements, for EXPLAIN. */
interface Statement {
  readonly text: string;
  readonly params: readonly unknown[];
}

/** Passes every statement through and remembers those of the current run. */
class RecordingSql implements Sql {
  statements: Statement[] = [];

  constructor(private readonly inner: Sql) {}

  query<Row = Record<string, unknown>>(text: string, params: readonly unknown[] = []): Promise<SqlResult<Row>> {
    this.statements.push({ text, params });
    return this.inner.query<Row>(text, params);
  }

  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
    return this.inner.transaction((tx) => {
      const recording = new RecordingSql(tx);
      recording.statements = this.statements;
      return work(recording);
    });
  }
}

interface Probe {
  readonly name: string;
  /** Runs once; `i` counts the runs, for queries that need a fresh key each time. */
  readonly run: (sql: Sql, i: number) => Promise<unknown>;
}

interface Timing {
  readonly median: number;
  readonly p99: number;
  readonly runs: number;
  readonly statements: readonly Statement[];
}

/** The probes, built per size: cursors and ids point into the middle of the measured history. */
async function probes(sql: Sql, rows: number): Promise<Probe[]> {
  const one = async <T>(text: string) => (await sql.query<T>(text)).rows[0]!;
  const middle = Math.floor(rows / 2);
  const entryCursor = String(middle * 10);
  const generationCursor = await one<{ at: string; id: string }>(
    `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at, id FROM generations WHERE id = md5('task' || ${middle})::uuid`,
  );
  const recentCutoff = new Date(Date.now() - 60 * 60 * 1000).toISOString();
  // Events come five to a task: the middle task is rows / 10.
  const { id: timelineTask } = await one<{ id: string }>(`SELECT md5('task' || ${Math.floor(rows / 10)})::uuid::text AS id`);
  const { id: middleDelivery } = await one<{ id: string }>(`SELECT md5('delivery' || ${middle})::uuid::text AS id`);
  const { id: middleAsset } = await one<{ id: string }>(`SELECT md5('asset' || ${middle})::uuid::text AS id`);
  const endpointId = (await one<{ id: string }>(`SELECT md5('endpoint' || '${MEASURED}')::uuid::text AS id`)).id;
  const gateway = { idempotencyKeyTtlHours: 24, rateLimit: { perMinute: 1_000_000_000, store: 'postgres' } } as unknown as GatewayOptions;
  const accounts = new AccountsRepository(sql);
  const issued = await accounts.issueKey(MEASURED, 'bench');
  const retention = { defaultDays: 30, sweepIntervalMs: 60_000 };
  // One limiter per recording Sql: each RateLimiterPostgres starts its own expiry timer.
  const limiters = new Map<Sql, RateLimitService>();
  const limiter = (s: Sql) => limiters.get(s) ?? limiters.set(s, new RateLimitService(gateway, s)).get(s)!;
  return [
    { name: 'balance (fast 402, GET /v1/credits)', run: (s) => creditBalanceProjection.load(s, MEASURED) },
    { name: 'ledger entries, first page', run: (s) => listLedgerEntries(s, MEASURED, { limit: 20 }) },
    { name: 'ledger entries, cursor mid-history', run: (s) => listLedgerEntries(s, MEASURED, { limit: 20, beforePosition: entryCursor }) },
    {
      // A copy of ReservationSweeper.sweep's candidate query (that file is being rewritten).
      name: 'reservation sweeper candidates (copy)',
      run: (s) =>
        s.query(
          `SELECT account_id, task_id FROM ledger_entries
            WHERE type = 'reserved' AND resolved_at IS NULL AND created_at <= $1
            ORDER BY created_at LIMIT 100`,
          [new Date(Date.now() - 15 * 60 * 1000)],
        ),
    },
    {
      name: 'idempotency key, replay',
      run: (s) => new IdempotencyService(s, gateway).begin(MEASURED, `key-${middle}`, 'fingerprint'),
    },
    {
      name: 'idempotency key, new claim',
      run: (s, i) => new IdempotencyService(s, gateway).begin(MEASURED, `fresh-${rows}-${i}-${newId()}`, 'fingerprint'),
    },
    { name: 'idempotency purge (every 10 min)', run: (s) => new IdempotencyService(s, gateway).purgeExpired() },
    { name: 'rate limit consume (postgres store)', run: (s) => limiter(s).consume(issued.keyId) },
    { name: 'api key lookup', run: (s) => new AccountsRepository(s).ownerOfKey(issued.key) },
    { name: 'generations, first page', run: (s) => listGenerations(s, { accountId: MEASURED, limit: 20 }) },
    {
      name: 'generations, cursor mid-history',
      run: (s) => listGenerations(s, { accountId: MEASURED, limit: 20, after: { createdAt: generationCursor.at, id: generationCursor.id } }),
    },
    { name: 'generations, status=failed', run: (s) => listGenerations(s, { accountId: MEASURED, limit: 20, statuses: ['failed'] }) },
    { name: 'generations, status=processing', run: (s) => listGenerations(s, { accountId: MEASURED, limit: 20, statuses: ['processing'] }) },
    { name: 'generations, status=canceled (oldest 5)', run: (s) => listGenerations(s, { accountId: MEASURED, limit: 20, statuses: ['canceled'] }) },
    { name: 'generations, model=rare (oldest 5)', run: (s) => listGenerations(s, { accountId: MEASURED, limit: 20, model: 'rare-model' }) },
    {
      name: 'generations, created_after 1 h ago',
      run: (s) => listGenerations(s, { accountId: MEASURED, limit: 20, createdAfter: recentCutoff }),
    },
    { name: 'task timeline (readCorrelated)', run: (s) => new PgEventStore(s).readCorrelated(timelineTask) },
    { name: 'webhook deliveries, first page', run: (s) => new WebhookDeliveriesRepository(s).list(endpointId, 20) },
    {
      name: 'webhook deliveries, cursor mid-history',
      run: (s) => new WebhookDeliveriesRepository(s).list(endpointId, 20, middleDelivery),
    },
    { name: 'webhook dispatcher claim round', run: (s) => new WebhookDeliveriesRepository(s).claim(10, 'bench', 0) },
    { name: 'per-request webhook deliveries, first page', run: (s) => new WebhookDeliveriesRepository(s).listForRequests(MEASURED, 20) },
    { name: 'scoped token: task creator (first event of its stream)', run: (s) => new PgEventStore(s).readStream(generationStream(timelineTask)) },
    { name: 'inbox check + insert', run: (s) => handleOnce(s, 'ledger', { eventId: newId() }, async () => undefined) },
    { name: 'provider work: due probe', run: (s) => new ProviderJobsRepository(s).due(['local']) },
    {
      name: 'provider work: claim round',
      run: (s) => new ProviderJobsRepository(s).claim({ provider: 'local', phase: 'submit', limit: 10, owner: 'bench', leaseMs: 0, concurrency: 50 }),
    },
    { name: 'asset by id', run: (s) => loadAsset(s, middleAsset) },
    {
      name: 'retention sweep candidates',
      // The sweep's own query; the rest of a pass (object deletes, appends) is not timed.
      run: (s) => (new RetentionSweeper(s, undefined as never, undefined as never, systemClock, retention) as unknown as Expired).expired(new Date()),
    },
    {
      // A copy of TaskMetrics' scrape (a gauge callback, not reachable on its own): for context.
      name: 'task metrics scrape (copy, all accounts)',
      run: (s) => s.query(`SELECT status, count(*)::int AS tasks FROM generations GROUP BY status`),
    },
  ];
}

/** RetentionSweeper's candidate query is private; the bench calls it as the sweep does. */
interface Expired {
  expired(now: Date): Promise<unknown[]>;
}

async function time(sql: Sql, probe: Probe, options: Options): Promise<Timing> {
  const recording = new RecordingSql(sql);
  for (let i = 1; i <= 3; i++) await probe.run(recording, -i); // warm-up: plans cached, pages in memory
  const samples: number[] = [];
  const started = Date.now();
  for (let i = 0; i < options.runs && (i < 5 || Date.now() - started < options.budgetMs); i++) {
    recording.statements = [];
    const before = process.hrtime.bigint();
    await probe.run(recording, i);
    samples.push(Number(process.hrtime.bigint() - before) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { median: at(0.5), p99: at(0.99), runs: samples.length, statements: recording.statements };
}

/** The plan's top line, its scans and their buffers, and the timing lines. */
async function explain(sql: Sql, statement: Statement): Promise<string[]> {
  const lines: string[] = [];
  await sql
    .transaction(async (tx) => {
      const { rows } = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${statement.text}`, statement.params);
      lines.push(...rows.map((row) => row['QUERY PLAN']).filter((line) => /Scan|Sort|Limit|Buffers|Filter|Index Cond|Execution Time/.test(line)));
      throw new RolledBack();
    })
    .catch((error: unknown) => {
      if (!(error instanceof RolledBack)) throw error;
    });
  return lines;
}

/** Ends an EXPLAIN ANALYZE's transaction without keeping what the statement wrote. */
class RolledBack extends Error {}

async function seeded(rows: number): Promise<TestDatabase> {
  const db = await createTestDatabase({ poolSize: 4 });
  const started = Date.now();
  for (const statement of SEED) {
    await db.sql.query(statement, statement.includes('$1') ? [rows] : []);
  }
  await db.sql.query(`VACUUM ANALYZE`);
  console.log(`seeded ${fmt(rows)} rows per history table in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return db;
}

const fmt = (value: number) => value.toLocaleString('en-US');
const ms = (value: number) => (value < 10 ? value.toFixed(3) : value.toFixed(1));

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const small = await seeded(options.small);
  let large: TestDatabase | undefined;
  try {
    large = await seeded(options.rows);
    const smallProbes = await probes(small.sql, options.small);
    const largeProbes = await probes(large.sql, options.rows);
    console.log('');
    console.log(`| query | ms at ${fmt(options.small)} (median / p99) | ms at ${fmt(options.rows)} (median / p99) | ratio of medians |`);
    console.log('|---|---:|---:|---:|');
    const slow: { name: string; timing: Timing }[] = [];
    // Each query at both sizes back to back, so a change in the machine's load hits both alike.
    for (const [index, probe] of smallProbes.entries()) {
      const atSmall = await time(small.sql, probe, options);
      const atLarge = await time(large.sql, largeProbes[index]!, options);
      const ratio = atLarge.median / atSmall.median;
      if (ratio > 1.5) slow.push({ name: probe.name, timing: atLarge });
      console.log(
        `| ${probe.name} | ${ms(atSmall.median)} / ${ms(atSmall.p99)} | ${ms(atLarge.median)} / ${ms(atLarge.p99)} | ${ratio.toFixed(2)} |`,
      );
    }
    for (const { name, timing } of slow) {
      console.log(`\n${name}, at ${fmt(options.rows)}:`);
      for (const statement of timing.statements.filter((s) => /^\s*(SELECT|UPDATE|DELETE|INSERT|WITH)/i.test(s.text))) {
        console.log(`  ${statement.text.replace(/\s+/g, ' ').slice(0, 160)}`);
        for (const line of await explain(large.sql, statement)) console.log(`    ${line.trim()}`);
      }
    }
  } finally {
    await small.drop();
    await large?.drop();
  }
}

main().then(
  () => process.exit(0), // rate-limiter-flexible's expiry timers would keep the process alive
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
