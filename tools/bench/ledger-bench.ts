/**
 * Ledger benchmark (issue 12): the cost of one ledger command, and of a task's whole
 * reserve → capture cycle, on one account with a long past.
 *
 *   npm run bench:ledger -- [--tasks 1000,100000,1000000] [--samples 200] [--caps 1000] [--throughput-seconds 20 --workers 8] [--verify-rebuild]
 *
 * On a throwaway database (TEST_DATABASE_URL's server, default the local PostgreSQL), for each
 * size: one account's past (a grant and `tasks` reservations, each captured or released) is
 * written straight into the log as an account older than snapshots would have it; then
 * 1. the first command on that account, which finds no snapshot (a stream the migration did not
 *    see), folds its past once and stores the snapshot;
 * 2. `--samples` times, round-robin over the sizes (so the machine's load falls on all alike),
 *    through the consumer inbox and the ledger's own handlers as a delivery would run: one
 *    ReserveCredits (a GenerationCreated), the whole cycle (GenerationCreated then
 *    GenerationCompleted), and a duplicate reservation of a task settled at the very start of
 *    the account's past;
 * 3. with `--throughput-seconds`, reserve → capture cycles from `--workers` concurrent deliverers
 *    on one account against the same on as many accounts (one account must not be slower);
 * 4. with `--verify-rebuild`, at the largest size: the live ledger projections catch up over
 *    the whole log, then a verify-rebuild of `credit_balances` and of `ledger_entries` from
 *    position zero compares checksums with the live tables.
 * With `--caps N`, each account first gets N daily spend caps (decision 0028; 1,000 is the most
 * an account holds, the largest summary) and every sampled reservation is by a capped end user.
 * Prints medians and p99 in milliseconds, and each size's ratio to the smallest.
 */
import { randomUUID } from 'node:crypto';
import { creditAccountStream, type Spender } from '@darkroom/contracts';
import { MAX_SPEND_CAPS } from '@darkroom/domain-ledger';
import { PgEventStore } from '@darkroom/event-store';
import { newId, type Clock } from '@darkroom/kernel';
import { GroupCommit, type EventMessage } from '@darkroom/messaging';
import { ProjectionRebuild, ProjectionRunner, type RowProjection } from '@darkroom/projections';
import { creditBalanceProjection } from '@darkroom/read-model-credit-balances';
import { ledgerEntryProjection } from '@darkroom/read-model-ledger-entries';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';
import { pastTaskId, seedCreditHistory } from '../../libs/services/ledger/src/credit-history.seed';
import { deliverToLedger, generationMessage } from '../../libs/services/ledger/src/ledger-delivery.fixture';
import { LedgerHandlers } from '../../libs/services/ledger/src/ledger.handlers';
import { SpendCapsService } from '../../libs/services/ledger/src/spend-caps/spend-caps.service';

interface Options {
  readonly sizes: readonly number[];
  readonly samples: number;
  readonly verifyRebuild: boolean;
  readonly throughputSeconds: number;
  readonly workers: number;
  readonly caps: number;
}

function parseOptions(argv: readonly string[]): Options {
  const raw = (name: string) => {
    const index = argv.indexOf(`--${name}`);
    return index >= 0 ? argv[index + 1] : argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
  };
  const sizes = (raw('tasks') ?? '1000,100000,1000000').split(',').map(Number);
  const samples = Number(raw('samples') ?? 200);
  if (sizes.some((size) => !Number.isInteger(size) || size < 1)) throw new Error(`--tasks takes positive integers, got ${raw('tasks')}`);
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`--samples takes a positive integer, got ${raw('samples')}`);
  const throughputSeconds = Number(raw('throughput-seconds') ?? 0);
  const workers = Number(raw('workers') ?? 8);
  const caps = Number(raw('caps') ?? 0);
  if (!Number.isInteger(caps) || caps < 0 || caps > MAX_SPEND_CAPS) throw new Error(`--caps takes 0 to ${MAX_SPEND_CAPS}, got ${raw('caps')}`);
  return { sizes, samples, verifyRebuild: argv.includes('--verify-rebuild'), throughputSeconds, workers, caps };
}

const clock: Clock = { now: () => new Date() };
const handlers = new LedgerHandlers(clock);
const deliver = (db: TestDatabase, message: EventMessage, group?: GroupCommit) => deliverToLedger(db.sql, handlers, message, group);
const PRICE = 1;
/** The end user of the sampled reservations: capped when `--caps` is given. */
const SPENDER: Spender = { user: 'u0' };

interface Account {
  readonly accountId: string;
  readonly tasks: number;
  readonly events: number;
  readonly firstCommandMs: number;
}

interface Figures extends Account {
  readonly reserve: number[];
  readonly cycle: number[];
  readonly lateDuplicate: number[];
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const db: TestDatabase = await createTestDatabase({ poolSize: 4 });
  try {
    const results: Figures[] = [];
    for (const tasks of options.sizes) {
      const account = await prepare(db, tasks, options.samples);
      await setCaps(db, account.accountId, options.caps);
      results.push({ ...account, reserve: [], cycle: [], lateDuplicate: [] });
    }
    // Round-robin over the sizes, so a change in the machine's load falls on every size alike.
    for (let i = 0; i < options.samples; i++) for (const figures of results) await sample(db, figures);
    for (const figures of results) await checkPastUnchanged(db, figures.accountId);
    printTable(results);
    if (options.throughputSeconds > 0) await compareThroughput(db, options.throughputSeconds, options.workers);
    if (options.verifyRebuild) await verifyRebuild(db);
  } finally {
    await db.drop();
  }
}

/** Seeds the account's past, then runs its first command (no snapshot yet: it folds the past once). */
async function prepare(db: TestDatabase, tasks: number, samples: number): Promise<Account> {
  const accountId = randomUUID();
  const seed = await timed(() => seedCreditHistory(db.sql, accountId, { tasks, amount: PRICE, granted: tasks + 10 * samples }));
  await db.sql.query(`VACUUM ANALYZE events`);
  const events = 1 + 2 * tasks;
  console.log(`account with ${fmt(tasks)} past tasks (${fmt(events)} events) seeded in ${seed.seconds.toFixed(1)} s`);
  const first = await timed(() => deliver(db, generationMessage('GenerationCreated', accountId, randomUUID(), PRICE)));
  console.log(`  first command without a snapshot (folds the past once, stores it): ${first.ms.toFixed(1)} ms`);
  return { accountId, tasks, events, firstCommandMs: first.ms };
}

/** `count` daily caps, far above what the samples spend, so each reservation checks them and passes. */
async function setCaps(db: TestDatabase, accountId: string, count: number): Promise<void> {
  if (count === 0) return;
  const caps = new SpendCapsService(new PgEventStore(db.sql), clock);
  const started = Date.now();
  for (let i = 0; i < count; i++) await caps.set({ accountId, scope: 'user', id: `u${i}`, period: 'day', limit: 1_000_000_000 });
  console.log(`  ${fmt(count)} spend caps set in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** One reservation, one whole cycle, one duplicate of a reservation settled at the start of the past. */
async function sample(db: TestDatabase, figures: Figures): Promise<void> {
  const { accountId } = figures;
  const at = clock.now();
  figures.reserve.push((await timed(() => deliver(db, generationMessage('GenerationCreated', accountId, randomUUID(), PRICE, at, SPENDER)))).ms);
  const taskId = randomUUID();
  const cycle = await timed(async () => {
    await deliver(db, generationMessage('GenerationCreated', accountId, taskId, PRICE, at, SPENDER));
    await deliver(db, generationMessage('GenerationCompleted', accountId, taskId, PRICE));
  });
  figures.cycle.push(cycle.ms);
  const settledLongAgo = pastTaskId(accountId, 1);
  figures.lateDuplicate.push((await timed(() => deliver(db, generationMessage('GenerationCreated', accountId, settledLongAgo, PRICE)))).ms);
}

/** Nothing decided twice: the duplicates of a reservation settled long ago appended nothing. */
async function checkPastUnchanged(db: TestDatabase, accountId: string): Promise<void> {
  const { rows } = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE stream_id = $1 AND subject = $2`, [
    creditAccountStream(accountId),
    `reservation:${pastTaskId(accountId, 1)}`,
  ]);
  if (rows[0]!.n !== 2) throw new Error(`a late duplicate changed the past: ${rows[0]!.n} events for its reservation`);
}

/**
 * One account against many: `workers` concurrent deliverers run reserve → capture cycles for
 * `seconds`, first all on one account (its commands queue on the account's lock), then each
 * on an account of its own, the two phases interleaved twice. Prints cycles per second of each
 * and the ratio one / many.
 */
async function compareThroughput(db: TestDatabase, seconds: number, workers: number): Promise<void> {
  const grant = async (accountId: string) => {
    await seedCreditHistory(db.sql, accountId, { tasks: 0, amount: PRICE, granted: 10_000_000 });
  };
  const one = randomUUID();
  await grant(one);
  const many = Array.from({ length: workers }, () => randomUUID());
  for (const accountId of many) await grant(accountId);
  // As the ledger's consumer delivers: an account's messages are committed together.
  const group = new GroupCommit(db.sql, 'ledger');
  const run = async (accountOf: (worker: number) => string) => {
    const deadline = Date.now() + (seconds * 1000) / 2;
    let cycles = 0;
    await Promise.all(
      Array.from({ length: workers }, async (_, worker) => {
        while (Date.now() < deadline) {
          const taskId = randomUUID();
          await deliver(db, generationMessage('GenerationCreated', accountOf(worker), taskId, PRICE), group);
          await deliver(db, generationMessage('GenerationCompleted', accountOf(worker), taskId, PRICE), group);
          cycles++;
        }
      }),
    );
    return cycles / (seconds / 2);
  };
  let single = 0;
  let spread = 0;
  for (let round = 0; round < 2; round++) {
    single += (await run(() => one)) / 2;
    spread += (await run((worker) => many[worker]!)) / 2;
  }
  console.log(
    `throughput, ${workers} concurrent deliverers, ${seconds} s each way: one account ${single.toFixed(1)} cycles/s, ` +
      `${workers} accounts ${spread.toFixed(1)} cycles/s, one / many = ${(single / spread).toFixed(2)}`,
  );
}

async function verifyRebuild(db: TestDatabase): Promise<void> {
  const projections = [creditBalanceProjection, ledgerEntryProjection] as RowProjection<unknown>[];
  for (const projection of projections) {
    const runner = new ProjectionRunner(db.sql, projection);
    const live = await timed(async () => {
      let applied = 0;
      for (let batch = await runner.runOnce(); batch > 0; batch = await runner.runOnce()) applied += batch;
      return applied;
    });
    const verify = await timed(() => new ProjectionRebuild(db.sql, projection, newId(), { batchSize: 10_000 }).run('verify'));
    const { live: liveSum, rebuilt } = verify.value;
    console.log(
      `${projection.name}: live runner ${fmt(live.value)} events in ${live.seconds.toFixed(1)} s; verify-rebuild ${fmt(verify.value.eventsDone)} ` +
        `events in ${verify.seconds.toFixed(1)} s; live ${liveSum.checksum} (${fmt(liveSum.rows)} rows), rebuilt ${rebuilt.checksum} ` +
        `(${fmt(rebuilt.rows)} rows): ${liveSum.checksum === rebuilt.checksum && liveSum.rows === rebuilt.rows ? 'EQUAL' : 'DIFFERENT'}`,
    );
    if (liveSum.checksum !== rebuilt.checksum) process.exitCode = 1;
  }
}

function printTable(results: readonly Figures[]): void {
  const base = results[0]!;
  console.log('');
  console.log('| past tasks | stream events | first command without snapshot ms | ReserveCredits p50 / p99 ms | reserve → capture p50 / p99 ms | late duplicate p50 / p99 ms | p50 ratio to smallest (reserve / cycle / duplicate) |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const ratio = (a: readonly number[], b: readonly number[]) => (percentile(a, 50) / percentile(b, 50)).toFixed(2);
    console.log(
      `| ${fmt(r.tasks)} | ${fmt(r.events)} | ${r.firstCommandMs.toFixed(1)} | ${pair(r.reserve)} | ${pair(r.cycle)} | ${pair(r.lateDuplicate)} | ` +
        `${ratio(r.reserve, base.reserve)} / ${ratio(r.cycle, base.cycle)} / ${ratio(r.lateDuplicate, base.lateDuplicate)} |`,
    );
  }
}

const pair = (values: readonly number[]) => `${percentile(values, 50).toFixed(2)} / ${percentile(values, 99).toFixed(2)}`;

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; seconds: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await work();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ms, seconds: ms / 1000, value };
}

const fmt = (value: number) => value.toLocaleString('en-US');

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
