import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { call, eventually, type Body } from './support/api';
import { flows } from './support/flows';
import { workspaceRoot } from './support/processes';
import { startSystem, type System } from './support/system';

jest.setTimeout(300_000);

let system: System;
const { createAccount, generate, waitForSettled, projectionChecksum } = flows(() => system);

beforeAll(async () => {
  system = await startSystem('e2e_rebuilds');
});
afterAll(async () => {
  await system?.stop();
});

const admin = (method: string, path: string) => call(system.gatewayUrl, method, path, { key: system.adminKey });

async function finished(name: string, id: string): Promise<Body> {
  return eventually(async () => {
    const job = await admin('GET', `/admin/projections/${name}/rebuilds/${id}`);
    expect(job.status).toBe(200);
    return ['completed', 'failed'].includes(job.body.state) ? job.body : undefined;
  }, 180_000, `rebuild ${id} of ${name} to finish`);
}

/** The admin CLI as an admin runs it, against this system's gateway. */
function runCli(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', join(workspaceRoot, 'tools/admin/admin.ts'), ...args], {
      cwd: workspaceRoot,
      env: { ...process.env, DARKROOM_URL: system.gatewayUrl, ADMIN_API_KEY: system.adminKey },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('projection rebuilds through the admin API', () => {
  let account: { id: string; key: string };
  const taskIds: string[] = [];

  beforeAll(async () => {
    account = await createAccount(100);
    for (let i = 0; i < 12; i++) {
      const created = await generate(account.key, { model: 'local', prompt: `rebuild me ${i}`, size: '64x64' });
      expect(created.status).toBe(202);
      taskIds.push(created.body.id);
    }
    for (const id of taskIds) await waitForSettled(account.key, id);
  });

  it('lists every hosted projection with its checkpoint and lag', async () => {
    const listed = await eventually(async () => {
      const response = await admin('GET', '/admin/projections');
      expect(response.status).toBe(200);
      const names = (response.body.data as Body[]).map((projection) => projection.name);
      return ['assets', 'credit_balances', 'generations'].every((name) => names.includes(name)) ? response.body : undefined;
    }, 60_000, 'the projections to be registered');
    const generations = (listed.data as Body[]).find((projection) => projection.name === 'generations');
    expect(generations).toMatchObject({ object: 'projection', tables: ['generations'], lag: { events_behind: expect.any(Number) } });
    expect(generations.checkpoint.global_position).toMatch(/^\d+$/);
    expect((await admin('GET', '/admin/projections/nope')).body.code).toBe('projection_not_found');
    expect((await call(system.gatewayUrl, 'GET', '/admin/projections', { key: account.key })).status).toBe(401);
  });

  it('rebuilds generations while reads keep succeeding, refuses a concurrent second rebuild, and matches by checksum', async () => {
    let reading = true;
    const statuses: number[] = [];
    const reads = (async () => {
      while (reading) {
        for (const id of taskIds.slice(0, 4)) statuses.push((await call(system.gatewayUrl, 'GET', `/v1/generations/${id}`, { key: account.key })).status);
        statuses.push((await call(system.gatewayUrl, 'GET', '/v1/credits', { key: account.key })).status);
      }
    })();
    let job: Body;
    try {
      const answers = await Promise.all([
        admin('POST', '/admin/projections/generations/rebuild'),
        admin('POST', '/admin/projections/generations/rebuild'),
      ]);
      expect(answers.map((answer) => answer.status).sort()).toEqual([202, 409]);
      const accepted = answers.find((answer) => answer.status === 202)!;
      expect(answers.find((answer) => answer.status === 409)?.body.code).toBe('rebuild_in_progress');
      job = await finished('generations', accepted.body.id);
    } finally {
      reading = false;
      await reads;
    }
    expect(job).toMatchObject({ state: 'completed', kind: 'rebuild', error: null });
    expect(job.events_done).toBeGreaterThan(0);
    expect(job.rebuilt).toEqual(job.live);
    expect(job.rebuilt.rows).toBe(12);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);

    const task = await call(system.gatewayUrl, 'GET', `/v1/generations/${taskIds[0]}`, { key: account.key });
    expect(task.body).toMatchObject({ id: taskIds[0], status: 'completed' });

    const checksum = await projectionChecksum('generations');
    expect(checksum).toMatchObject({ object: 'projection_checksum', match: true, live: { rows: 12 } });
  });

  it('rebuilds credit_balances from the admin CLI with a progress line', async () => {
    const result = await runCli(['projections', 'rebuild', 'credit_balances']);
    expect(result.output).toContain('completed');
    expect(result.code).toBe(0);
    const listed = await runCli(['projections', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.output).toContain('credit_balances');
  });
});
