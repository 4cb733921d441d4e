import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where the CLI sends its requests, and how it found out. */
export interface AdminTarget {
  readonly url: string;
  readonly key: string | undefined;
  /** `--url/--key`, the environment, or the embedded instance's files in its data folder. */
  readonly source: string;
}

/** What `npm start` leaves in its data folder while it runs (`instance.json`) and keeps there (`dev-credentials.json`). */
function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function running(pid: unknown): boolean {
  if (typeof pid !== 'number') return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The gateway and admin key to use: `--url`/`--key` first, then `DARKROOM_URL`/`ADMIN_API_KEY`,
 * then the embedded instance `npm start` runs on `DARKROOM_DATA_DIR` (default `./.darkroom`):
 * its URL from `instance.json` (while its process lives) and its admin key from
 * `dev-credentials.json`. Last, http://127.0.0.1:3000 with no key.
 */
export function findTarget(flags: { url?: string; key?: string }, env: NodeJS.ProcessEnv, cwd = process.cwd()): AdminTarget {
  const dataDir = resolve(cwd, env['DARKROOM_DATA_DIR'] ?? '.darkroom');
  const instance = readJson(join(dataDir, 'instance.json'));
  const embeddedUrl = instance && running(instance['pid']) && typeof instance['url'] === 'string' ? instance['url'] : undefined;
  const embeddedKey = readJson(join(dataDir, 'dev-credentials.json'))?.['adminKey'];
  const url = flags.url ?? env['DARKROOM_URL'] ?? embeddedUrl ?? 'http://127.0.0.1:3000';
  const key = flags.key ?? env['ADMIN_API_KEY'] ?? (typeof embeddedKey === 'string' ? embeddedKey : undefined);
  const fromEmbedded = (flags.url === undefined && env['DARKROOM_URL'] === undefined && embeddedUrl !== undefined) ||
    (flags.key === undefined && env['ADMIN_API_KEY'] === undefined && typeof embeddedKey === 'string');
  return { url, key, source: fromEmbedded ? `the embedded instance in ${dataDir}` : 'the command line and environment' };
}

/**
 * Rows as an aligned text table with a header and a rule, the way people read them (no
 * index column, no quotes); numbers are right-aligned.
 */
export function table(rows: readonly Record<string, string | number>[], columns: readonly string[]): string {
  const cells = rows.map((row) => columns.map((column) => String(row[column] ?? '')));
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((line) => line[i]!.length)));
  const numeric = columns.map((column) => rows.length > 0 && rows.every((row) => typeof row[column] === 'number'));
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => (numeric[i] ? value.padStart(widths[i]!) : value.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.toUpperCase())), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n');
}
