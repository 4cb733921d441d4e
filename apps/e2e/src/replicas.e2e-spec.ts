import { createHash } from 'node:crypto';
import { call, eventually, type ApiResponse, type Body } from './support/api';
import { downloadAsset, flows, type Account } from './support/flows';
import { SERVICES, startSystem, type System } from './support/system';

/**
 * Issue 15, item 6: two instances of every service (two gateways behind a round-robin TCP
 * balancer) take 500 tasks of mixed outcomes (completed, failed by the provider, canceled)
 * while one instance of each service is killed with SIGKILL mid-flight and the others are
 * rolled with SIGTERM. Then every task is terminal, the credits are exact, every asset is
 * readable, every projection equals a rebuild by checksum, and no message is dead-lettered.
 *
 * The client does what a client of a load-balanced API should: one Idempotency-Key per task,
 * retried on a dropped connection or a 5xx until the gateway answers.
 */
jest.setTimeout(1_200_000);

const TASKS = 500;
const ACCOUNTS = 10;
const GRANT = 200;
const SENDERS = 12;

type Outcome = 'complete' | 'fail' | 'cancel';
const outcomeOf = (i: number): Outcome => (i % 10 === 3 ? 'fail' : i % 10 === 7 ? 'cancel' : 'complete');
const promptOf = (i: number): string =>
  ({ complete: `replica ${i} [slow:${(i % 4) * 150}]`, fail: `replica ${i} [fail]`, cancel: `replica ${i} [slow:3000]` })[outcomeOf(i)];

let system: System;
const { createAccount, waitForSettled, projectionChecksum, expectBalance } = flows(() => system);

beforeAll(async () => {
  system = await startSystem('e2e_replicas', {
    replicas: 2,
    // Ten processes share the machine's PostgreSQL with every other test: small pools.
    env: { DATABASE_POOL_SIZE: '3', SHUTDOWN_GRACE_MS: '8000' },
  });
});
afterAll(async () => {
  await system?.stop();
});

/** A request through the balancer, retried while a replica is down or restarting. */
async function persistently(method: string, path: string, key: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse> {
  return eventually(async () => {
    const response = await call(system.gatewayUrl, method, path, { key, body, headers });
    const retry = response.status >= 500 || (response.status === 409 && response.body?.code === 'idempotency_key_in_progress');
    return retry ? undefined : response;
  }, 120_000, `${method} ${path} to be answered`);
}

async function send(accounts: readonly Account[], taskIds: string[], created: { count: number }): Promise<void> {
  let next = 0;
  const sender = async () => {
    for (let i = next++; i < TASKS; i = next++) {
      const account = accounts[i % accounts.length]!;
      const body = { model: 'local', prompt: promptOf(i), size: '64x64', seed: i + 1 };
      const response = await persistently('POST', '/v1/generations', account.key, body, { 'idempotency-key': `replicas-${i}` });
      expect({ i, status: response.status }).toEqual({ i, status: 202 });
      taskIds[i] = response.body.id as string;
      created.count++;
      if (outcomeOf(i) === 'cancel') {
        const canceled = await persistently('POST', `/v1/generations/${taskIds[i]}/cancel`, account.key);
        // 409: it ended first (a cancel never undoes a terminal state).
        expect([200, 202, 409]).toContain(canceled.status);
      }
    }
  };
  await Promise.all(Array.from({ length: SENDERS }, sender));
}

/** Tasks created and not yet ended: the work in flight. */
async function inFlight(): Promise<number> {
  const { rows } = await system.db.sql.query<{ tasks: number }>(
    `SELECT count(*)::int AS tasks FROM generations WHERE status NOT IN ('completed', 'failed', 'canceled')`,
  );
  return rows[0]!.tasks;
}

/** SIGKILL the second instance of every service at once, start them again, then roll the first ones with SIGTERM, one at a time. */
async function killAndRoll(created: { count: number }): Promise<void> {
  await eventually(async () => (created.count >= TASKS / 5 ? true : undefined), 600_000, 'a fifth of the tasks to be sent');
  const atKill = { sent: created.count, inFlight: await inFlight() };
  await Promise.all(SERVICES.map((name) => system.restartInstance(name, 1, 'SIGKILL')));
  await eventually(async () => (created.count >= TASKS / 2 ? true : undefined), 600_000, 'half of the tasks to be sent');
  const atRoll = { sent: created.count, inFlight: await inFlight() };
  for (const name of SERVICES) await system.restartInstance(name, 0, 'SIGTERM');
  console.log(`replicas: SIGKILL of one instance of each service at ${JSON.stringify(atKill)}; SIGTERM roll from ${JSON.stringify(atRoll)}`);
  // Mid-flight: tasks were running when each instance went away.
  expect(atKill.inFlight).toBeGreaterThan(0);
  expect(atRoll.inFlight).toBeGreaterThan(0);
}

describe('two replicas of every service under kills and rolls', () => {
  const taskIds: string[] = [];
  let accounts: Account[] = [];
  const tasks: Body[] = [];

  beforeAll(async () => {
    accounts = await Promise.all(Array.from({ length: ACCOUNTS }, () => createAccount(GRANT)));
    const created = { count: 0 };
    await Promise.all([send(accounts, taskIds, created), killAndRoll(created)]);
    // One query a second for all of them (500 pollers would load the gateways they measure),
    // then each task once through the API.
    await eventually(async () => {
      const { rows } = await system.db.sql.query<{ open: number }>(
        `SELECT count(*)::int AS open FROM generations
          WHERE id = ANY($1) AND (status NOT IN ('completed', 'failed', 'canceled') OR credits_state IN ('pending', 'reserved'))`,
        [taskIds],
      );
      return rows[0]!.open === 0 ? true : undefined;
    }, 600_000, 'every task to settle');
    for (let start = 0; start < TASKS; start += 25) {
      const ids = taskIds.slice(start, start + 25);
      tasks.push(...(await Promise.all(ids.map((id, i) => waitForSettled(accounts[(start + i) % ACCOUNTS]!.key, id)))));
    }
  });

  it('ends every task, with the outcome each asked for', () => {
    expect(tasks).toHaveLength(TASKS);
    const wrong = tasks
      .map((task, i) => ({ i, outcome: outcomeOf(i), status: task.status as string, error: task.error?.code as string | undefined }))
      .filter(({ outcome, status, error }) =>
        outcome === 'complete' ? status !== 'completed' : outcome === 'fail' ? status !== 'failed' || error !== 'provider_error' : !['canceled', 'completed'].includes(status),
      );
    expect(wrong).toEqual([]);
    // The cancels are sent while the task sleeps 3 s at the provider: most must land.
    expect(tasks.filter((task) => task.status === 'canceled').length).toBeGreaterThan(TASKS / 20);
  });

  it('charges exactly once per completed task and nothing for the others', async () => {
    const { rows } = await system.db.sql.query<{ correlation: string; captured: number; released: number; ended: number }>(
      `SELECT metadata->>'correlationId' AS correlation,
              count(*) FILTER (WHERE type = 'CreditsCaptured')::int AS captured,
              count(*) FILTER (WHERE type = 'CreditsReleased')::int AS released,
              count(*) FILTER (WHERE type IN ('GenerationCompleted', 'GenerationFailed', 'GenerationCanceled'))::int AS ended
         FROM events WHERE metadata->>'correlationId' = ANY($1) GROUP BY 1`,
      [taskIds],
    );
    const byTask = new Map(rows.map((row) => [row.correlation, row]));
    const wrong = tasks
      .map((task) => ({ id: task.id as string, status: task.status as string, ...byTask.get(task.id) }))
      .filter((seen) => seen.ended !== 1 || seen.captured !== (seen.status === 'completed' ? 1 : 0) || seen.released !== (seen.status === 'completed' ? 0 : 1));
    expect(wrong).toEqual([]);

    for (const [index, account] of accounts.entries()) {
      const mine = tasks.filter((_, i) => i % ACCOUNTS === index);
      const charged = mine.filter((task) => task.status === 'completed').reduce((sum, task) => sum + Number(task.credits.price), 0);
      await expectBalance(account.id, { available: GRANT - charged, reserved: 0, captured: charged });
    }
  });

  it('serves every completed task’s image, byte for byte as recorded', async () => {
    const completed = tasks.filter((task) => task.status === 'completed');
    for (let start = 0; start < completed.length; start += 16) {
      await Promise.all(
        completed.slice(start, start + 16).map(async (task) => {
          const account = accounts[taskIds.indexOf(task.id) % ACCOUNTS]!;
          const [asset] = task.assets;
          const download = await downloadAsset(system.gatewayUrl, account.key, asset.id);
          expect({ id: task.id, status: download.status, sha256: createHash('sha256').update(download.bytes).digest('hex') }).toEqual({
            id: task.id,
            status: 200,
            sha256: asset.sha256,
          });
        }),
      );
    }
  });

  it('has every projection equal to a rebuild, and no dead letter', async () => {
    for (const name of ['generations', 'credit_balances', 'ledger_entries', 'assets']) {
      const checksum = await projectionChecksum(name);
      expect({ name, match: checksum.match }).toEqual({ name, match: true });
    }
    const letters = await call(system.gatewayUrl, 'GET', '/admin/dead-letters', { key: system.adminKey });
    expect(letters.status).toBe(200);
    expect(letters.body.data).toEqual([]);
  });
});
