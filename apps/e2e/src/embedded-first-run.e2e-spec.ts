import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, eventually } from './support/api';
import { builtApp, freePort, waitOrTimeout, workspaceRoot } from './support/processes';

/**
 * Issue 19, first run: `/health/ready` answers 200 only once the request the start line
 * prints can be served (the dev account's credits are visible), the OpenAI façade defaults
 * to `local` where no provider is configured, start-up is quiet, and `npm run admin` finds
 * the instance and its admin key by itself and says "match" plainly.
 */
jest.setTimeout(360_000);

let dataDir: string;
let child: ChildProcess | undefined;
let output = '';
let url: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'darkroom-first-run-'));
});
afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await waitOrTimeout(exited, 15_000);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  await rm(dataDir, { recursive: true, force: true });
});

/** `npm run admin` as a user types it beside a running `npm start`: no --url, no --key. */
function admin(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const run = spawn(process.execPath, ['-r', '@swc-node/register', 'tools/admin/admin.ts', ...args], {
      cwd: workspaceRoot,
      env: { PATH: process.env['PATH'], DARKROOM_DATA_DIR: dataDir },
    });
    let stdout = '';
    let stderr = '';
    run.stdout.on('data', (chunk) => (stdout += chunk));
    run.stderr.on('data', (chunk) => (stderr += chunk));
    run.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the embedded process on its first start', () => {
  it('is ready only when the dev account can be charged: a request sent at the first 200 is accepted', async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // Default log level: what a user sees.
    child = spawn(process.execPath, [builtApp('darkroom')], {
      cwd: workspaceRoot,
      env: { PATH: process.env['PATH'], PORT: String(port), DARKROOM_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    // Poll as fast as a script would; the first 200 is the moment to send the printed request.
    const ready = await eventually(async () => {
      if (child!.exitCode !== null) throw new Error(`darkroom exited: ${output}`);
      const response = await fetch(`${url}/health/ready`).catch(() => undefined);
      return response?.status === 200 ? ((await response.json()) as { checks: Record<string, { ok: boolean }> }) : undefined;
    }, 240_000, 'the first ready answer');
    expect(ready.checks['dev_account']).toEqual({ ok: true });
    const { apiKey } = JSON.parse(await readFile(join(dataDir, 'dev-credentials.json'), 'utf8')) as { apiKey: string };
    const created = await call(url, 'POST', '/v1/generations', { key: apiKey, body: { model: 'local', prompt: 'a lighthouse at dusk', size: '64x64' } });
    expect(created.status).toBe(202);

    // The OpenAI façade with no model named: local, the one model on without provider keys.
    const image = await call(url, 'POST', '/v1/images/generations', { key: apiKey, body: { prompt: 'a lighthouse at dusk', size: '64x64' } });
    expect(image.status).toBe(200);
    const task = await call(url, 'GET', `/v1/generations/${image.body.task_id}`, { key: apiKey });
    expect(task.body.model).toBe('local');
  });

  it('prints its start-up without Nest’s route dump or per-request lines', async () => {
    await eventually(async () => (output.includes('Admin key:') ? true : undefined), 60_000, 'the start-up text');
    expect(output).not.toContain('Mapped {');
    expect(output).not.toContain('RoutesResolver');
    expect(output).not.toMatch(/POST \/v1\/generations 202/);
  });

  it('lets `npm run admin` find the instance and its admin key, and prints readable tables', async () => {
    const listed = await admin(['projections', 'list']);
    expect(listed.stderr).toContain(`${url} (from the embedded instance in ${dataDir})`);
    expect(listed.code).toBe(0);
    const [header, rule, ...rows] = listed.stdout.trimEnd().split('\n');
    expect(header!.split(/\s{2,}/)).toEqual(['PROJECTION', 'POSITION', 'BEHIND', 'LAST BATCH', 'REBUILD']);
    expect(rule).toMatch(/^-+(\s+-+)+$/);
    expect(rows.map((row) => row.split(/\s+/)[0]).sort()).toEqual(expect.arrayContaining(['credit_balances', 'generations']));

    const checked = await admin(['projections', 'checksum', 'credit_balances']);
    expect(checked.code).toBe(0);
    expect(checked.stdout).toMatch(/^match: the live table equals a rebuild from the log/m);
    expect(checked.stdout).not.toContain('MISMATCH');
  });
});
