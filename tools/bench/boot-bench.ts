/**
 * Start-to-ready and stop times (issue 15, item 5): how long each service takes from process
 * spawn to `/health/ready` answering 200, and from SIGTERM to exit, idle. Each service is
 * started as one more replica of a running system (its bucket, queues and schema exist, as on
 * a roll); the embedded process (`npm start`'s bundle) cold on an empty data directory, then
 * warm on the same one. Prints one JSON line: medians and maxima in ms per process, CPU
 * seconds to ready, and the machine's load average.
 *
 *   npm run bench:boot -- [--runs 3]
 *
 * Needs the built apps (`nx run-many -t build -p gateway,generation,provider-adapter,storage,ledger,darkroom`),
 * PostgreSQL and RabbitMQ as for the e2e tests.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtApp, freePort, workspaceRoot } from '../../apps/e2e/src/support/processes';
import { SERVICES, startSystem } from '../../apps/e2e/src/support/system';
import { cpuSeconds } from './proc-stats';

interface Boot {
  readonly readyMs: number;
  readonly cpuSeconds: number;
  readonly stopMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

/** Spawns `app` with `env`, waits for `/health/ready` 200, then stops it with SIGTERM. */
async function boot(app: string, env: NodeJS.ProcessEnv): Promise<Boot> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [builtApp(app)], {
    cwd: workspaceRoot,
    env: { PATH: process.env['PATH'], ...env, PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  child.stderr.on('data', (chunk) => (errors += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${app} exited with ${child.exitCode}: ${errors}`);
      if (performance.now() - started > 120_000) throw new Error(`${app} not ready after 120 s`);
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.status === 200, () => false);
      if (ready) break;
      await sleep(20);
    }
    const readyMs = performance.now() - started;
    const cpu = cpuSeconds(child.pid!);
    const stopping = performance.now();
    child.kill('SIGTERM');
    await exited;
    return { readyMs: Math.round(readyMs), cpuSeconds: cpu, stopMs: Math.round(performance.now() - stopping) };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

function summary(boots: readonly Boot[]) {
  return {
    readyMs: median(boots.map((b) => b.readyMs)),
    readyMaxMs: Math.max(...boots.map((b) => b.readyMs)),
    cpuSecondsToReady: median(boots.map((b) => b.cpuSeconds)),
    stopMs: median(boots.map((b) => b.stopMs)),
  };
}

async function main(): Promise<void> {
  const runsAt = process.argv.indexOf('--runs');
  const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 3;
  const loadBefore = loadavg()[0];
  const results: Record<string, ReturnType<typeof summary>> = {};

  const system = await startSystem('bench_boot');
  try {
    for (const service of SERVICES) {
      const boots: Boot[] = [];
      for (let run = 0; run < runs; run++) boots.push(await boot(service, system.env));
      results[service] = summary(boots);
    }
  } finally {
    await system.stop();
  }

  const cold: Boot[] = [];
  const warm: Boot[] = [];
  for (let run = 0; run < runs; run++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'darkroom-boot-'));
    try {
      cold.push(await boot('darkroom', { DARKROOM_DATA_DIR: dataDir }));
      warm.push(await boot('darkroom', { DARKROOM_DATA_DIR: dataDir }));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  results['darkroom (cold)'] = summary(cold);
  results['darkroom (warm)'] = summary(warm);

  console.log(JSON.stringify({ bench: 'boot', runs, load1: [loadBefore, loadavg()[0]].map((l) => Math.round(l * 100) / 100), results }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
