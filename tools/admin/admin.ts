/**
 * The admin API from a terminal.
 *
 *   npm run admin -- projections list
 *   npm run admin -- projections rebuild <name> [--no-wait]
 *   npm run admin -- projections checksum <name>
 *
 * Talks to a running gateway: `--url` (or DARKROOM_URL) and `--key` (or ADMIN_API_KEY); with
 * neither, to the embedded instance `npm start` runs (its URL and admin key are in its data
 * folder). A rebuild is followed with a one-line progress bar until it completes or fails,
 * then says whether the checksums match; the exit code is 0 only when it completed and (for
 * `rebuild` and `checksum`) the live and rebuilt checksums match.
 */
import { adminClient, type AdminClient, type Checksum, type Job } from './admin-client';
import { findTarget, table } from './admin-target';

const USAGE = `usage: admin [--url URL] [--key KEY] projections list | rebuild <name> [--no-wait] | checksum <name>`;

interface Args {
  readonly positional: readonly string[];
  readonly url: string | undefined;
  readonly key: string | undefined;
  readonly wait: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const positional: string[] = [];
  let url: string | undefined;
  let key: string | undefined;
  let wait = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--url') url = argv[++i];
    else if (arg.startsWith('--url=')) url = arg.slice('--url='.length);
    else if (arg === '--key') key = argv[++i];
    else if (arg.startsWith('--key=')) key = arg.slice('--key='.length);
    else if (arg === '--no-wait') wait = false;
    else positional.push(arg);
  }
  return { positional, url, key, wait };
}

/** "match" or "MISMATCH", with both checksums and row counts, as a table. */
export function checksumReport(live: { checksum: string; rows: number }, rebuilt: { checksum: string; rows: number }, position?: string): string {
  const rows = [
    { table: 'live', checksum: live.checksum, rows: live.rows },
    { table: 'rebuilt', checksum: rebuilt.checksum, rows: rebuilt.rows },
  ];
  const same = live.checksum === rebuilt.checksum && live.rows === rebuilt.rows;
  const verdict = same ? 'match: the live table equals a rebuild from the log' : 'MISMATCH: the live table differs from a rebuild from the log';
  return `${table(rows, ['table', 'checksum', 'rows'])}\n${verdict}${position ? ` (at global position ${position})` : ''}\n`;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function duration(seconds: number | null): string {
  if (seconds === null) return '?';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m` : s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}

/** `[#####.....]  52% 520,000/1,000,000 events  41,200/s  ETA 12s  running` */
export function progressLine(job: Job, width = 30): string {
  const total = job.events_total ?? 0;
  const ratio = total > 0 ? Math.min(1, job.events_done / total) : job.state === 'completed' ? 1 : 0;
  const filled = Math.round(ratio * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const count = `${job.events_done.toLocaleString('en-US')}/${job.events_total === null ? '?' : total.toLocaleString('en-US')} events`;
  const rate = job.rate_per_second === null ? '' : `  ${job.rate_per_second.toLocaleString('en-US')}/s`;
  const eta = job.state === 'running' ? `  ETA ${duration(job.eta_seconds)}` : '';
  return `${bar} ${String(Math.floor(ratio * 100)).padStart(3)}% ${count}${rate}${eta}  ${job.state}`;
}

async function follow(client: AdminClient, name: string, job: Job): Promise<Job> {
  const tty = process.stdout.isTTY;
  let last = '';
  for (;;) {
    const line = progressLine(job);
    if (tty) process.stdout.write(`\r${line.padEnd(last.length)}`);
    else if (line !== last) process.stdout.write(`${line}\n`);
    last = line;
    if (job.state === 'completed' || job.state === 'failed') break;
    await sleep(500);
    job = await client.job(name, job.id);
  }
  if (tty) process.stdout.write('\n');
  return job;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const [group, command, name] = args.positional;
  if (group !== 'projections' || !command || (command !== 'list' && !name)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const target = findTarget(args, process.env);
  if (!target.key) {
    process.stderr.write('The admin key is missing: start darkroom with `npm start` here, or pass --key or set ADMIN_API_KEY.\n');
    return 2;
  }
  process.stderr.write(`${target.url} (from ${target.source})\n`);
  const client = adminClient(target.url, target.key);
  switch (command) {
    case 'list': {
      const rows = (await client.projections()).map((projection) => ({
        projection: projection.name,
        position: projection.checkpoint?.global_position ?? '0',
        behind: projection.lag.events_behind,
        'last batch': projection.lag.last_batch_at ?? '-',
        rebuild: projection.rebuild ? `${projection.rebuild.kind} ${projection.rebuild.state}` : '-',
      }));
      process.stdout.write(`${table(rows, ['projection', 'position', 'behind', 'last batch', 'rebuild'])}\n`);
      return 0;
    }
    case 'rebuild': {
      const job = await client.rebuild(name);
      process.stdout.write(`rebuild ${job.id} of ${name} queued\n`);
      if (!args.wait) return 0;
      const done = await follow(client, name, job);
      if (done.state === 'failed') {
        process.stderr.write(`rebuild failed: ${done.error}\n`);
        return 1;
      }
      if (!done.live || !done.rebuilt) return 0;
      process.stdout.write(`checksums taken at the switch:\n${checksumReport(done.live, done.rebuilt)}`);
      return done.live.checksum === done.rebuilt.checksum ? 0 : 1;
    }
    case 'checksum': {
      let answer: Checksum;
      while ((answer = await client.checksum(name)).match === undefined) process.stdout.write(`${progressLine(answer.rebuild)}\n`);
      process.stdout.write(checksumReport(answer.live!, answer.rebuilt!, answer.position?.global_position));
      return answer.match ? 0 : 1;
    }
    default:
      process.stderr.write(`${USAGE}\n`);
      return 2;
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
