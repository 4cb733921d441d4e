import { call, eventually, type ApiResponse, type Body } from './support/api';
import { flows, type Account } from './support/flows';
import { startSystem, type System } from './support/system';

// 1,000 tasks through five processes, then two rebuilds under load, on a machine other runs load too.
jest.setTimeout(1_500_000);

let system: System;
const { createAccount, generate, projectionChecksum } = flows(() => system);

beforeAll(async () => {
  system = await startSystem('e2e_rebuild_load');
});
afterAll(async () => {
  await system?.stop();
});

const TASKS = 1_000;
const ACCOUNTS = 4;
const CREDITS = 400;
const LOAD_PER_SECOND = 20;

type Outcome = 'completed' | 'failed' | 'canceled';

/** Task `i`'s intended outcome: one in 20 fails at the provider, one in 50 is canceled while it renders. */
const outcomeOf = (i: number): Outcome => (i % 20 === 0 ? 'failed' : i % 50 === 7 ? 'canceled' : 'completed');
const promptFor = (i: number, outcome: Outcome): string =>
  outcome === 'failed' ? `load ${i} [fail]` : outcome === 'canceled' ? `load ${i} [slow:1500]` : `load ${i}`;

const admin = (method: string, path: string) => call(system.gatewayUrl, method, path, { key: system.adminKey });

/** Runs `work` over `items` with at most `width` at a time. */
async function inPool<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/** Every task of the account through the public list, following cursors. */
async function everyTask(account: Account): Promise<Body[]> {
  const tasks: Body[] = [];
  let cursor: string | null = null;
  do {
    const page: ApiResponse = await call(system.gatewayUrl, 'GET', `/v1/generations?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
      key: account.key,
    });
    expect(page.status).toBe(200);
    tasks.push(...page.body.data);
    cursor = page.body.next_cursor;
  } while (cursor !== null);
  return tasks;
}

/** Until no task of any account is running and no credits are reserved: every task settled. */
async function allSettled(accounts: readonly Account[]): Promise<void> {
  await eventually(async () => {
    for (const account of accounts) {
      const running = await call(system.gatewayUrl, 'GET', '/v1/generations?status=created,queued,processing&limit=1', { key: account.key });
      if (running.status !== 200 || running.body.data.length > 0) return undefined;
      const credits = await call(system.gatewayUrl, 'GET', '/v1/credits', { key: account.key });
      if (credits.status !== 200 || credits.body.reserved !== 0) return undefined;
    }
    return true;
  }, 300_000, 'every task to settle');
}

async function rebuilt(name: string, id: string): Promise<Body> {
  return eventually(async () => {
    const job = await admin('GET', `/admin/projections/${name}/rebuilds/${id}`);
    return ['completed', 'failed'].includes(job.body?.state) ? job.body : undefined;
  }, 600_000, `rebuild ${id} of ${name} to finish`);
}

interface LoadResult {
  readonly kind: 'read' | 'write';
  readonly path: string;
  readonly status: number | string;
  readonly taskId?: string;
  readonly account: number;
}

/** Which account (index) created each task. */
const taskOwner = new Map<string, number>();

/**
 * Open-loop traffic: one request every 1/rate seconds whatever the latency, four reads (a task,
 * the credits, the list, a task's timeline) for each write (a new task). Returns `stop`, which
 * waits for the requests still in flight.
 */
function startLoad(accounts: readonly Account[], taskIds: readonly string[], results: LoadResult[]): () => Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let tick = 0;
  const send = async (n: number): Promise<void> => {
    const account = n % accounts.length;
    const key = accounts[account].key;
    const taskId = taskIds[(n * 7919) % taskIds.length];
    const kind = n % 5 === 4 ? 'write' : 'read';
    const path = kind === 'write' ? '/v1/generations' : [`/v1/generations/${taskId}`, '/v1/credits', '/v1/generations?limit=20', `/v1/generations/${taskId}/events`][n % 5];
    try {
      const response =
        kind === 'write'
          ? await generate(key, { model: 'local', prompt: `written during the rebuild ${n}`, size: '32x32' })
          : await call(system.gatewayUrl, 'GET', path, { key: path.includes(taskId) ? accounts[taskOwner.get(taskId)!].key : key });
      results.push({ kind, path, status: response.status, taskId: kind === 'write' ? response.body?.id : undefined, account });
    } catch (error) {
      results.push({ kind, path, status: String(error), account });
    }
  };
  const timer = setInterval(() => {
    const request = send(tick++);
    inFlight.add(request);
    void request.finally(() => inFlight.delete(request));
  }, 1000 / LOAD_PER_SECOND);
  return async () => {
    clearInterval(timer);
    await Promise.all([...inFlight]);
  };
}

describe('rebuilding generations and credit_balances under load', () => {
  let accounts: Account[];
  const intended = new Map<string, Outcome>();

  beforeAll(async () => {
    accounts = await Promise.all(Array.from({ length: ACCOUNTS }, () => createAccount(CREDITS)));
    await inPool(
      Array.from({ length: TASKS }, (_, i) => i),
      8,
      async (i) => {
        const outcome = outcomeOf(i);
        const account = i % ACCOUNTS;
        const created = await generate(accounts[account].key, { model: 'local', prompt: promptFor(i, outcome), size: '32x32' });
        expect(created.status).toBe(202);
        intended.set(created.body.id, outcome);
        taskOwner.set(created.body.id, account);
        if (outcome === 'canceled') {
          const canceled = await call(system.gatewayUrl, 'POST', `/v1/generations/${created.body.id}/cancel`, { key: accounts[account].key });
          expect(canceled.status).toBe(200);
        }
      },
    );
    await allSettled(accounts);
  });

  it('ran 1,000 tasks to their intended outcomes', async () => {
    const tasks = (await Promise.all(accounts.map(everyTask))).flat();
    expect(tasks).toHaveLength(TASKS);
    const wrong = tasks.filter((task) => task.status !== intended.get(task.id)).map((task) => `${task.id}: ${task.status} ≠ ${intended.get(task.id)}`);
    expect(wrong).toEqual([]);
  });

  it('switches both projections while 20 requests per second read and write, with no failed read, and the tables match by checksum', async () => {
    const results: LoadResult[] = [];
    const stopLoad = startLoad(accounts, [...intended.keys()], results);
    let jobs: Body[];
    try {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const started = await Promise.all([admin('POST', '/admin/projections/generations/rebuild'), admin('POST', '/admin/projections/credit_balances/rebuild')]);
      expect(started.map((answer) => answer.status)).toEqual([202, 202]);
      jobs = await Promise.all([rebuilt('generations', started[0].body.id), rebuilt('credit_balances', started[1].body.id)]);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    } finally {
      await stopLoad();
    }

    for (const job of jobs) {
      expect(job).toMatchObject({ state: 'completed', kind: 'rebuild', error: null });
      expect(job.rebuilt).toEqual(job.live);
    }
    expect(jobs[0].events_done).toBeGreaterThan(TASKS * 5);
    expect(jobs[0].rebuilt.rows).toBeGreaterThanOrEqual(TASKS);
    expect(jobs[1].rebuilt.rows).toBeGreaterThanOrEqual(ACCOUNTS);

    const reads = results.filter((result) => result.kind === 'read');
    const writes = results.filter((result) => result.kind === 'write');
    console.log(
      `rebuilt generations (${jobs[0].events_done} events, ${jobs[0].rebuilt.rows} rows) and credit_balances ` +
        `(${jobs[1].events_done} events, ${jobs[1].rebuilt.rows} rows) while ${reads.length} reads and ${writes.length} writes ran`,
    );
    expect(reads.length).toBeGreaterThanOrEqual(16 * 4);
    expect(reads.filter((result) => result.status !== 200)).toEqual([]);
    expect(writes.filter((result) => result.status !== 202)).toEqual([]);

    // Everything written during the rebuilds settles, and then live equals a fresh rebuild.
    await allSettled(accounts);
    for (const name of ['generations', 'credit_balances']) {
      const checksum = await projectionChecksum(name);
      expect(checksum).toMatchObject({ object: 'projection_checksum', match: true });
      expect(checksum.rebuilt).toEqual(checksum.live);
    }

    // The numbers behind the checksums: every task there, every credit accounted for.
    const tasks = (await Promise.all(accounts.map(everyTask))).flat();
    expect(tasks).toHaveLength(TASKS + writes.length);
    for (const [index, account] of accounts.entries()) {
      const mine = tasks.filter((task) => taskOwner.get(task.id) === index || writes.some((write) => write.taskId === task.id && write.account === index));
      const captured = mine.filter((task) => task.status === 'completed').length;
      const credits = await call(system.gatewayUrl, 'GET', '/v1/credits', { key: account.key });
      expect(credits.body).toMatchObject({ available: CREDITS - captured, reserved: 0 });
    }
  });
});
