import { spawn, type ChildProcess } from 'node:child_process';
import { eventually } from './api';
import { builtApp, freePort, waitOrTimeout, workspaceRoot } from './processes';

/** The single process `npm start` runs: PGlite, in-process bus, s3rver, local renderer. */
export interface Embedded {
  readonly url: string;
  readonly apiKey: string;
  readonly adminKey: string;
  /** The process id of darkroom itself (of `npm` under `viaNpmStart`). */
  readonly pid: number | undefined;
  readonly output: () => string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Listen here (settings that name the URL, such as WEBHOOK_BASE_URL, need it before the start). */
  readonly port?: number;
  /** Run it as a user does, through `npm start` (which builds first), instead of the built bundle. */
  readonly viaNpmStart?: boolean;
}

export async function startEmbedded(dataDir: string, options: EmbeddedOptions = {}): Promise<Embedded> {
  const port = options.port ?? (await freePort());
  const env = { PATH: process.env['PATH'], PORT: String(port), DARKROOM_DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...options.env };
  const child: ChildProcess = options.viaNpmStart
    ? // Its own process group: npm, the start script and darkroom are stopped together.
      spawn('npm', ['start', '--silent'], { cwd: workspaceRoot, env: { ...env, HOME: process.env['HOME'] }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    : spawn(process.execPath, [builtApp('darkroom')], { cwd: workspaceRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const keys = await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`darkroom exited: ${output}`);
    const apiKey = /Dev API key:\s+(\S+)/.exec(output)?.[1];
    const adminKey = /Admin key:\s+(\S+)/.exec(output)?.[1];
    return apiKey && adminKey ? { apiKey, adminKey } : undefined;
  }, 120_000, 'the embedded process to print its dev key');
  const signal = (name: NodeJS.Signals | 0): boolean => {
    try {
      if (options.viaNpmStart && child.pid) return process.kill(-child.pid, name);
      return child.kill(name || undefined);
    } catch {
      return false; // Already gone.
    }
  };
  /** npm may exit before darkroom has: the group is gone when no process of it is left. */
  const stopped = async (timeoutMs: number) => {
    await waitOrTimeout(exited, timeoutMs);
    const deadline = Date.now() + timeoutMs;
    while (options.viaNpmStart && signal(0) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    return !(options.viaNpmStart ? signal(0) : child.exitCode === null && child.signalCode === null);
  };
  return {
    url: `http://127.0.0.1:${port}`,
    ...keys,
    pid: child.pid,
    output: () => output,
    async stop() {
      // The whole group under `npm start` (npm, the start script, darkroom), as Ctrl-C would.
      signal('SIGTERM');
      if (!(await stopped(15_000))) signal('SIGKILL');
    },
  };
}
