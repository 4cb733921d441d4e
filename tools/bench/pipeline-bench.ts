/**
 * Pipeline benchmark (issue 12, "one account must not be slower than many"): the whole system
 * as separate processes, tasks on the built-in `local` model offered at a fixed rate, spread
 * round-robin over one account or many; how many complete per second and how long each takes.
 *
 *   npm run bench:pipeline -- [--accounts 200] [--rate 10] [--seconds 45] [--drain-seconds 90]
 *   npm run bench:pipeline -- --compare [--rate 10]      # 1 account, then 200, each on a fresh system
 *   npm run bench:pipeline -- --saturate [--compare]     # offers 50/s (or --rate), beyond the ceiling
 *
 * For each configuration, on a fresh system (`startSystem` of the e2e tier: migrated database,
 * s3rver, its own exchange and queues, the five built apps as processes):
 * 1. `--accounts` accounts through the admin API, each granted enough credits for its share
 *    of the offered tasks (twice over), waiting for the balance projection to show them;
 * 2. `POST /v1/generations` (`local`, 64x64, n=1) at `--rate` per second for `--seconds`,
 *    open loop (a request is sent on schedule whether or not earlier ones have answered),
 *    round-robin over the accounts;
 * 3. waits until every accepted task is terminal in the `generations` read model (read from
 *    the database directly, once a second: the bench's own polling puts no load on the
 *    gateway), at most `--drain-seconds` after the last offer;
 * 4. gives the ledger up to 15 s to settle and checks no credits stay reserved.
 * Prints the offered rate, accepted / completed / failed, completed tasks per second from the
 * first accept to the last completion, latency (created_at → completed_at) p50/p99,
 * completions per 10 s (a pipeline that slows as history grows shows here), the CPU seconds
 * each service used, and the error/warning lines of the service logs. With `--compare`, the
 * ratio single / many (the issue asks for at least 0.9).
 * Needs the built apps (`npx nx run-many -t build -p gateway,generation,provider-adapter,storage,ledger`),
 * PostgreSQL and RabbitMQ.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { call } from '../../apps/e2e/src/support/api';
import { SERVICES, startSystem, type ServiceName, type System } from '../../apps/e2e/src/support/system';
import { createAccounts } from './bench-accounts';
import { darkroomRequest, emit } from './peer-shape';
import { cpuSecondsOf } from './proc-stats';

interface Options {
  readonly accounts: number;
  readonly rate: number;
  readonly seconds: number;
  readonly drainSeconds: number;
  readonly compare: boolean;
  readonly saturate: boolean;
  /** One JSON line per configuration on stdout (the report goes to stderr), as the peer benchmarks print. */
  readonly json: boolean;
}

interface Result {
  readonly accounts: number;
  readonly offeredRate: number;
  readonly offered: number;
  readonly accepted: number;
  /** Offers the gateway answered with anything but 202, by status (or `error` for a failed request). */
  readonly refused: Record<string, number>;
  readonly completed: number;
  readonly failed: number;
  readonly unfinished: number;
  readonly windowSeconds: number;
  readonly completedPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Provider done (`ProviderJobSucceeded` committed) → the task completed in the read model, as the BullMQ peer's "added latency". */
  readonly addedP50Ms: number;
  readonly addedP99Ms: number;
  /** p50 of each step in the read model: created → queued (ledger reserve), queued → processing, processing → completed. */
  readonly stepsP50Ms: { readonly reserve: number; readonly submit: number; readonly finish: number };
  /** From the last completion until no credits were reserved (the ledger's capture lag), or undefined if they never all settled. */
  readonly settledAfterSeconds: number | undefined;
  readonly completionsPer10s: readonly number[];
  readonly reservedAccounts: number;
  readonly reservedCredits: number;
  readonly cpuSeconds: Record<string, number>;
  readonly logProblems: Record<string, readonly string[]>;
  readonly failures: Record<string, number>;
}

const SATURATE_RATE = 50;
const MANY = 200;
const TERMINAL = `('completed', 'failed', 'canceled')`;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function parseOptions(argv: readonly string[]): Options {
  const raw = (name: string): string | undefined => {
    const index = argv.indexOf(`--${name}`);
    return index >= 0 ? argv[index + 1] : argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
  };
  const value = (name: string, fallback: number): number => {
    const given = raw(name);
    const parsed = given === undefined ? fallback : Number(given);
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive number, got ${given}`);
    return parsed;
  };
  const saturate = argv.includes('--saturate');
  return {
    accounts: Math.round(value('accounts', MANY)),
    rate: value('rate', saturate ? SATURATE_RATE : 10),
    // Beyond the ceiling the drain is what takes long: offer for less time.
    seconds: value('seconds', saturate ? 15 : 45),
    drainSeconds: value('drain-seconds', 60),
    compare: argv.includes('--compare'),
    saturate,
    json: argv.includes('--json'),
  };
}

/** Open loop: offer i is sent at start + i / rate, whatever became of the ones before it. */
async function offer(system: System, keys: readonly string[], rate: number, seconds: number) {
  const total = Math.round(rate * seconds);
  const accepted: string[] = [];
  const refused: Record<string, number> = {};
  const pending: Promise<void>[] = [];
  const answerMs: number[] = [];
  const start = performance.now();
  let lateMs = 0;
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    else lateMs = Math.max(lateMs, -wait);
    const key = keys[i % keys.length]!;
    const sent = performance.now();
    pending.push(
      call(system.gatewayUrl, 'POST', '/v1/generations', {
        key,
        body: darkroomRequest(i),
      }).then(
        (response) => {
          answerMs.push(performance.now() - sent);
          if (response.status === 202) accepted.push(response.body.id as string);
          else refused[response.status] = (refused[response.status] ?? 0) + 1;
        },
        (error: unknown) => {
          refused['error'] = (refused['error'] ?? 0) + 1;
          if (refused['error'] === 1) console.error(`  offer failed: ${String(error)}`);
        },
      ),
    );
  }
  const offeredSeconds = (performance.now() - start) / 1000;
  await Promise.all(pending);
  const answeredSeconds = (performance.now() - start) / 1000;
  answerMs.sort((a, b) => a - b);
  const answerP50Ms = Math.round(answerMs[Math.floor(answerMs.length * 0.5)] ?? 0);
  const answerP99Ms = Math.round(answerMs[Math.floor(answerMs.length * 0.99)] ?? 0);
  if (lateMs > 500) console.log(`  (the bench itself fell behind its schedule by up to ${Math.round(lateMs)} ms)`);
  return { total, accepted, refused, offeredSeconds, answeredSeconds, answerP50Ms, answerP99Ms };
}

async function terminalCount(system: System): Promise<number> {
  const { rows } = await system.db.sql.query<{ done: string }>(`SELECT count(*) AS done FROM generations WHERE status IN ${TERMINAL}`);
  return Number(rows[0]!.done);
}

/** Warning and error lines of a service log (pino JSON, or raw stderr), counted by their text with ids and numbers blurred. */
function logProblems(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    let shape: string | undefined;
    try {
      const entry = JSON.parse(line) as { level?: string; context?: string; msg?: string };
      if (['warn', 'error', 'fatal'].includes(entry.level ?? '')) shape = `${entry.level} ${entry.context ?? ''}: ${entry.msg ?? line}`;
    } catch {
      // Node's warning about the AWS SDK's next minimum version says nothing about this run.
      if (/error|warn/i.test(line) && !/NodeVersionSupportWarning|--trace-warnings/.test(line)) shape = line;
    }
    if (shape === undefined) continue;
    shape = shape
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>')
      .replace(/\d+/g, '#')
      .slice(0, 220);
    counts.set(shape, (counts.get(shape) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([shape, count]) => `${count}× ${shape}`);
}

async function runOnce(accounts: number, options: Options): Promise<Result> {
  const label = `${accounts === 1 ? 'one account' : `${accounts} accounts`}, ${options.rate}/s offered for ${options.seconds} s`;
  console.log(`\n== ${label}`);
  const startedAt = Date.now();
  // The e2e tier's settings (LOG_LEVEL=log, the shipped default): logging is part of the pipeline's cost.
  const system = await startSystem('bench_pipeline');
  // Ctrl-C still stops the services and drops the database.
  const interrupted = () => void system.stop().finally(() => process.exit(130));
  process.once('SIGINT', interrupted);
  try {
    console.log(`  system up in ${((Date.now() - startedAt) / 1000).toFixed(0)} s (logs: ${system.services.get('gateway')!.logFile.replace(/\/[^/]+$/, '')})`);
    const perAccount = Math.ceil((options.rate * options.seconds) / accounts);
    const keys = await createAccounts(system, accounts, perAccount * 2 + 10);
    console.log(`  ${accounts} account(s) with ${perAccount * 2 + 10} credits each, in ${((Date.now() - startedAt) / 1000).toFixed(0)} s since start`);

    const pids = (names: readonly ServiceName[]) => names.map((name) => system.services.get(name)!.child.pid!);
    const cpuBefore = Object.fromEntries(SERVICES.map((name) => [name, cpuSecondsOf(pids([name]))]));
    const offered = await offer(system, keys, options.rate, options.seconds);
    console.log(
      `  offered ${offered.total} in ${offered.offeredSeconds.toFixed(1)} s, all answered after ${offered.answeredSeconds.toFixed(1)} s` +
        ` (POST p50 ${offered.answerP50Ms} ms, p99 ${offered.answerP99Ms} ms); accepted ${offered.accepted.length}` +
        (Object.keys(offered.refused).length ? `; refused ${JSON.stringify(offered.refused)}` : ''),
    );

    const drainDeadline = Date.now() + options.drainSeconds * 1000;
    let done = await terminalCount(system);
    while (done < offered.accepted.length && Date.now() < drainDeadline) {
      await sleep(1000);
      done = await terminalCount(system);
    }
    if (done < offered.accepted.length) console.log(`  drain timed out: ${offered.accepted.length - done} tasks not terminal after ${options.drainSeconds} s`);
    const cpuSeconds = Object.fromEntries(SERVICES.map((name) => [name, cpuSecondsOf(pids([name])) - cpuBefore[name]!]));

    // The ledger captures or releases after the task ends: give it a moment before judging.
    const settleDeadline = Date.now() + 15_000;
    let reserved = { accounts: 0, credits: 0 };
    let settledAt: number | undefined;
    for (;;) {
      const { rows } = await system.db.sql.query<{ accounts: string; credits: string }>(
        `SELECT count(*) FILTER (WHERE reserved > 0) AS accounts, COALESCE(sum(reserved), 0) AS credits FROM credit_balances`,
      );
      reserved = { accounts: Number(rows[0]!.accounts), credits: Number(rows[0]!.credits) };
      if (reserved.credits === 0) settledAt = Date.now();
      if (reserved.credits === 0 || Date.now() > settleDeadline) break;
      await sleep(500);
    }

    const { rows } = await system.db.sql.query<{
      completed: string;
      failed: string;
      unfinished: string;
      first_created: Date;
      last_completed: Date | null;
      p50: number | null;
      p99: number | null;
      reserve: number | null;
      submit: number | null;
      finish: number | null;
    }>(`
      SELECT count(*) FILTER (WHERE status = 'completed') AS completed,
             count(*) FILTER (WHERE status IN ('failed', 'canceled')) AS failed,
             count(*) FILTER (WHERE status NOT IN ${TERMINAL}) AS unfinished,
             min(created_at) AS first_created,
             max(completed_at) AS last_completed,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - created_at) * 1000) AS p50,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - created_at) * 1000) AS p99,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM queued_at - created_at) * 1000) AS reserve,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM processing_at - queued_at) * 1000) AS submit,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - processing_at) * 1000) AS finish
        FROM generations`);
    const summary = rows[0]!;
    const { rows: added } = await system.db.sql.query<{ p50: number | null; p99: number | null }>(`
      SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
        FROM (SELECT extract(epoch FROM g.completed_at - max(e.recorded_at)) * 1000 AS ms
                FROM generations g JOIN events e ON e.metadata->>'correlationId' = g.id::text AND e.type = 'ProviderJobSucceeded'
               WHERE g.status = 'completed' GROUP BY g.id, g.completed_at) AS done`);
    const { rows: buckets } = await system.db.sql.query<{ bucket: number; count: string }>(
      `SELECT floor(extract(epoch FROM completed_at - $1::timestamptz) / 10)::int AS bucket, count(*) AS count
         FROM generations WHERE completed_at IS NOT NULL GROUP BY 1 ORDER BY 1`,
      [summary.first_created],
    );
    const completionsPer10s: number[] = [];
    for (const { bucket, count } of buckets) completionsPer10s[bucket] = Number(count);
    const { rows: failures } = await system.db.sql.query<{ code: string | null; count: string }>(
      `SELECT error->>'code' AS code, count(*) AS count FROM generations WHERE status IN ('failed', 'canceled') GROUP BY 1`,
    );
    const windowSeconds = summary.last_completed ? (summary.last_completed.getTime() - summary.first_created.getTime()) / 1000 : 0;
    const completed = Number(summary.completed);
    return {
      accounts,
      offeredRate: options.rate,
      offered: offered.total,
      accepted: offered.accepted.length,
      refused: offered.refused,
      completed,
      failed: Number(summary.failed),
      unfinished: Number(summary.unfinished),
      windowSeconds,
      completedPerSecond: windowSeconds > 0 ? completed / windowSeconds : 0,
      p50Ms: Math.round(summary.p50 ?? 0),
      p99Ms: Math.round(summary.p99 ?? 0),
      addedP50Ms: Math.round(added[0]?.p50 ?? 0),
      addedP99Ms: Math.round(added[0]?.p99 ?? 0),
      stepsP50Ms: { reserve: Math.round(summary.reserve ?? 0), submit: Math.round(summary.submit ?? 0), finish: Math.round(summary.finish ?? 0) },
      settledAfterSeconds:
        settledAt === undefined || !summary.last_completed ? undefined : Math.max(0, (settledAt - summary.last_completed.getTime()) / 1000),
      completionsPer10s: Array.from(completionsPer10s, (count) => count ?? 0),
      reservedAccounts: reserved.accounts,
      reservedCredits: reserved.credits,
      cpuSeconds,
      logProblems: Object.fromEntries(SERVICES.map((name) => [name, logProblems(system.services.get(name)!.logFile)])),
      failures: Object.fromEntries(failures.map((row) => [row.code ?? '(none)', Number(row.count)])),
    };
  } finally {
    process.removeListener('SIGINT', interrupted);
    await system.stop();
  }
}

function report(result: Result): void {
  const cpu = Object.entries(result.cpuSeconds)
    .map(([name, seconds]) => `${name} ${seconds.toFixed(1)}`)
    .join(', ');
  console.log(
    [
      `  accounts ${result.accounts}, offered ${result.offeredRate}/s (${result.offered}), accepted ${result.accepted}` +
        (Object.keys(result.refused).length ? `, refused ${JSON.stringify(result.refused)}` : ''),
      `  completed ${result.completed}, failed ${result.failed}` +
        (Object.keys(result.failures).length ? ` ${JSON.stringify(result.failures)}` : '') +
        `, not terminal ${result.unfinished}`,
      `  completed/s ${result.completedPerSecond.toFixed(2)} over ${result.windowSeconds.toFixed(1)} s (first accept → last completion)`,
      `  latency created → completed: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms` +
        ` (p50 of created → queued ${result.stepsP50Ms.reserve}, queued → processing ${result.stepsP50Ms.submit},` +
        ` processing → completed ${result.stepsP50Ms.finish} ms)`,
      `  added latency provider done → completed: p50 ${result.addedP50Ms} ms, p99 ${result.addedP99Ms} ms`,
      `  completions per 10 s: ${result.completionsPer10s.join(' ')}`,
      `  credits still reserved: ${result.reservedCredits} on ${result.reservedAccounts} account(s)` +
        (result.settledAfterSeconds === undefined ? ' (after waiting 15 s)' : `; settled ${result.settledAfterSeconds.toFixed(1)} s after the last completion`),
      `  service CPU seconds during the run: ${cpu}`,
    ].join('\n'),
  );
  for (const [name, problems] of Object.entries(result.logProblems)) {
    if (problems.length === 0) continue;
    console.log(`  ${name} log: ${problems.length} kind(s) of error/warning line`);
    for (const problem of problems.slice(0, 3)) console.log(`    ${problem}`);
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  // stdout carries only the JSON lines
  if (options.json) console.log = console.error;
  const [one, five, fifteen] = loadavg();
  console.log(
    `pipeline bench: ${options.compare ? `1 vs ${options.accounts}` : options.accounts} account(s), ${options.rate}/s for ${options.seconds} s` +
      `${options.saturate ? ' (saturate)' : ''}; load average ${one!.toFixed(2)} ${five!.toFixed(2)} ${fifteen!.toFixed(2)}`,
  );
  const configurations = options.compare ? [1, options.accounts] : [options.accounts];
  const results: Result[] = [];
  for (const accounts of configurations) {
    const result = await runOnce(accounts, options);
    report(result);
    if (options.json) emit({ bench: 'darkroom-pipeline', ...result, logProblems: undefined });
    results.push(result);
  }
  if (options.compare) {
    const [single, many] = results as [Result, Result];
    const ratio = many.completedPerSecond > 0 ? single.completedPerSecond / many.completedPerSecond : 0;
    console.log(
      `\nsingle / many: ${single.completedPerSecond.toFixed(2)} / ${many.completedPerSecond.toFixed(2)} completed/s = ${ratio.toFixed(3)}` +
        ` (issue 12 asks for ≥ 0.9: ${ratio >= 0.9 ? 'met' : 'NOT met'}); p99 ${single.p99Ms} vs ${many.p99Ms} ms`,
    );
  }
  const [after] = loadavg();
  console.log(`load average at the end: ${after!.toFixed(2)}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
