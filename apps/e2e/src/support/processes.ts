import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const workspaceRoot = join(__dirname, '../../../..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ServiceProcess {
  readonly name: string;
  readonly port: number;
  readonly child: ChildProcess;
  readonly logFile: string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** The built entry point of an app; fails at once (not after a health timeout) when it was not built. */
export function builtApp(name: string): string {
  const main = join(workspaceRoot, 'dist/apps', name, 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm test\` (it builds first) or \`npm run build\``);
  return main;
}

/** Runs a built app (`dist/apps/<name>/main.js`) with its own environment; logs go to a file. */
export async function startService(
  name: string,
  env: NodeJS.ProcessEnv,
  logDir: string,
  fixedPort?: number,
): Promise<ServiceProcess> {
  const port = fixedPort ?? (await freePort());
  await mkdir(logDir, { recursive: true });
  const logFile = join(logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, [builtApp(name)], {
    cwd: workspaceRoot,
    env: { PATH: process.env['PATH'], ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForHealth(name, port, child, logFile);
  return {
    name,
    port,
    child,
    logFile,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await waitOrTimeout(exited, 10_000);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Waits for `promise` at most `ms`; the timer never outlives the wait. */
export async function waitOrTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

const HEALTH_TIMEOUT_MS = 180_000;

async function waitForHealth(name: string, port: number, child: ChildProcess, logFile: string): Promise<void> {
  // Generous: on a loaded 2-core machine a cold start can take well over a minute.
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}; see ${logFile}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health/live`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // Never leave a process behind that nobody holds a handle to.
  child.kill('SIGKILL');
  throw new Error(`${name} did not become healthy within ${HEALTH_TIMEOUT_MS / 1000} s; see ${logFile}`);
}

/** Runs a command to completion and returns its output, failing on a non-zero exit. */
export async function runCommand(args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: workspaceRoot, env: { PATH: process.env['PATH'], ...env } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`exit ${code}: ${output}`))));
  });
}
