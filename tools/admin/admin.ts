/**
 * The admin API from a terminal.
 *
 *   npm run admin -- projections list
 *   npm run admin -- projections rebuild <name> [--no-wait]
 *   npm run admin -- projections checksum <name>
 *
 * Talks to a running gateway: `--url` (or DARKROOM_URL, default http://127.0.0.1:3000) and
 * `--key` (or ADMIN_API_KEY). A rebuild is followed with a one-line progress bar until it
 * completes or fails; the exit code is 0 only when it completed (for `checksum`: when the
 * live and rebuilt checksums match).
 */
import { adminClient, type AdminClient, type Job } from './admin-client';

const USAGE = `usage: admin [--url URL] [--key KEY] projections list | rebuild <name> [--no-wait] | checksum <name>`;

interface Args {
  readonly positional: readonly string[];
  readonly url: string;
  readonly key: string | undefined;
  readonly wait: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const positional: string[] = [];
  let url = process.env['DARKROOM_URL'] ?? 'http://127.0.0.1:3000';
  let key = process.env['ADMIN_API_KEY'];
  let wait = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--url') url = argv[++i] ?? url;
    else if (arg.startsWith('--url=')) url = arg.slice('--url='.length);
    else if (arg === '--key') key = argv[++i];
    else if (arg.startsWith('--key=')) key = arg.slice('--key='.length);
    else if (arg === '--no-wait') wait = false;
    else positional.push(arg);
  }
  return { positional, url, key, wait };
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
  if (!args.key) {
    process.stderr.write('The admin key is missing: pass --key or set ADMIN_API_KEY.\n');
    return 2;
  }
  const client = adminClient(args.url, args.key);
  switch (command) {
    case 'list': {
      const rows = (await client.projections()).map((projection) => ({
        name: projection.name,
        position: projection.checkpoint?.global_position ?? '0',
        behind: projection.lag.events_behind,
        last_batch_at: projection.lag.last_batch_at ?? '-',
        rebuild: projection.rebuild ? `${projection.rebuild.kind} ${projection.rebuild.state}` : '-',
      }));
      console.table(rows);
      return 0;
    }
    case 'rebuild': {
      const job = await client.rebuild(name);
      process.stdout.write(`rebuild ${job.id} of ${name} queued\n`);
      if (!args.wait) return 0;
      const done = await follow(client, name, job);
      if (done.state === 'failed') process.stderr.write(`rebuild failed: ${done.error}\n`);
      else process.stdout.write(`checksum before the switch: live ${done.live?.checksum} rebuilt ${done.rebuilt?.checksum}\n`);
      return done.state === 'completed' ? 0 : 1;
    }
    case 'checksum': {
      for (;;) {
        const answer = await client.checksum(name);
        if (answer.match !== undefined) {
          process.stdout.write(
            `live    ${answer.live?.checksum} (${answer.live?.rows} rows)\n` +
              `rebuilt ${answer.rebuilt?.checksum} (${answer.rebuilt?.rows} rows)\n` +
              `${answer.match ? 'match' : 'MISMATCH'} at global position ${answer.position?.global_position}\n`,
          );
          return answer.match ? 0 : 1;
        }
        process.stdout.write(`${progressLine(answer.rebuild)}\n`);
      }
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
