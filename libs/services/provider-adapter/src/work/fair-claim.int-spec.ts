import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { GenerationRequest, Priority } from '@darkroom/contracts';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';
import { LANE_OFFSET } from './fair-queue';
import { ProviderJobsRepository } from './provider-jobs.repository';

/**
 * The fair, prioritised claim of submits (decision 0024) against real PostgreSQL: accounts
 * take turns, weights give shares, lanes go first and batch still ages in within its bound.
 */
let db: TestDatabase;
let repo: ProviderJobsRepository;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 4 });
  repo = new ProviderJobsRepository(db.sql);
});
afterAll(async () => {
  await db?.drop();
});
beforeEach(async () => {
  await db.sql.query(`DELETE FROM provider_jobs`);
  await db.sql.query(`DELETE FROM provider_queue_flows`);
  await db.sql.query(`DELETE FROM provider_queues`);
});

async function account(weight = 1): Promise<string> {
  const id = randomUUID();
  await db.sql.query(`INSERT INTO accounts (id, name, scheduling_weight) VALUES ($1, 'fair', $2)`, [id, weight]);
  return id;
}

/** Queues `count` submits of the account in its lane, as the GenerationQueued handler does; returns their ids. */
async function queue(accountId: string, count: number, priority?: Priority): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const taskId = randomUUID();
    const request: GenerationRequest = {
      accountId,
      model: 'flux-2-pro',
      prompt: 'p',
      width: 64,
      height: 64,
      n: 1,
      seed: 1,
      outputFormat: 'png',
      ...(priority ? { priority } : {}),
    };
    await db.sql.transaction((tx) =>
      repo.schedule(tx, {
        taskId,
        accountId,
        model: 'flux-2-pro',
        provider: 'bfl',
        request,
        deadline: new Date(Date.now() + 60_000).toISOString(),
        causeEventId: randomUUID(),
      }),
    );
    ids.push(taskId);
  }
  return ids;
}

/** Starts `count` submits one slot at a time (concurrency 1, each finished before the next); returns them in start order. */
async function start(count: number): Promise<{ taskId: string; accountId: string }[]> {
  const started: { taskId: string; accountId: string }[] = [];
  for (let i = 0; i < count; i++) {
    const rows = await repo.claim({ provider: 'bfl', phase: 'submit', limit: 1, owner: 'w', leaseMs: 60_000, concurrency: 1 });
    if (rows.length === 0) break;
    await db.sql.transaction((tx) => repo.setPhase(tx, rows[0].taskId, 'done'));
    started.push({ taskId: rows[0].taskId, accountId: rows[0].accountId });
  }
  return started;
}

describe('fair claim of submits', () => {
  it('serves an account that arrives behind a backlog within a slot or two of each of its tasks, oldest first', async () => {
    const [a, b] = [await account(), await account()];
    const backlog = await queue(a, 30);
    expect((await start(5)).map((row) => row.taskId)).toEqual(backlog.slice(0, 5));
    const late = await queue(b, 3);
    const order = (await start(10)).map((row) => row.taskId);
    // Round-robin from where the clock is: B, A, B, A, B, then A's backlog in its order.
    expect(order.filter((id) => late.includes(id))).toEqual(late);
    expect(late.map((id) => order.indexOf(id))).toEqual([0, 2, 4]);
    expect(order.filter((id) => backlog.includes(id))).toEqual(backlog.slice(5, 12));
  });

  it('gives an account of weight 2 two slots for every one of an account of weight 1 while both have work', async () => {
    const [a, b] = [await account(1), await account(2)];
    await queue(a, 40);
    await queue(b, 40);
    const order = await start(30);
    expect(order.filter((row) => row.accountId === b)).toHaveLength(20);
  });

  it('applies a changed weight to tasks queued after the change', async () => {
    const [a, b] = [await account(1), await account(1)];
    await queue(a, 20);
    await queue(b, 10);
    await db.sql.query(`UPDATE accounts SET scheduling_weight = 3 WHERE id = $1`, [b]);
    await queue(b, 20);
    const order = await start(40);
    // B's first ten alternate with A's (10 of the first 20); its later ones, queued at weight 3,
    // take three slots to A's one (15 of the next 20).
    expect(order.slice(0, 20).filter((row) => row.accountId === b)).toHaveLength(10);
    expect(order.slice(20).filter((row) => row.accountId === b)).toHaveLength(15);
  });

  it('starts an interactive task next behind 500 batch tasks of the same account', async () => {
    const a = await account();
    const batch = await queue(a, 500, 'batch');
    await start(3);
    const [interactive] = await queue(a, 1, 'interactive');
    const [standard] = await queue(a, 1, 'standard');
    const order = (await start(3)).map((row) => row.taskId);
    expect(order).toEqual([interactive, standard, batch[3]]);
  });

  it(`starts a batch task within ${LANE_OFFSET.batch} interactive starts under a steady stream of interactive work`, async () => {
    const [a, b] = [await account(), await account()];
    await queue(a, 20, 'interactive');
    const [batch] = await queue(b, 1, 'batch');
    let before = 0;
    for (;;) {
      await queue(a, 2, 'interactive'); // two arrive for every one started: the lane never empties
      const [row] = await start(1);
      if (row.taskId === batch) break;
      before += 1;
      expect(before).toBeLessThanOrEqual(LANE_OFFSET.batch + 1);
    }
    // Interactive went first for a while (priority), then the batch task aged in (no starvation).
    expect(before).toBeGreaterThanOrEqual(LANE_OFFSET.batch - 1);
  });

  it('puts a retry at the head of its lane once due, not behind its account\'s backlog', async () => {
    const a = await account();
    const [first, ...rest] = await queue(a, 10);
    const [row] = await repo.claim({ provider: 'bfl', phase: 'submit', limit: 1, owner: 'w', leaseMs: 60_000 });
    expect(row.taskId).toBe(first);
    await db.sql.transaction((tx) =>
      repo.reschedule(tx, { taskId: first, attempt: 2, model: 'flux-2-pro', provider: 'bfl', notBefore: new Date().toISOString(), causeEventId: randomUUID() }),
    );
    const order = (await start(3)).map((started) => started.taskId);
    expect(order).toEqual([first, rest[0], rest[1]]);
  });

  it('claims in key order however many rows wait, reading a bounded part of the index', async () => {
    const accounts = await Promise.all(Array.from({ length: 20 }, () => account()));
    for (const id of accounts) await queue(id, 5);
    await db.sql.query(`ANALYZE provider_jobs`);
    const { rows } = await db.sql.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT task_id FROM provider_jobs
        WHERE provider = 'bfl' AND phase = 'submit' AND next_run_at <= now() AND (lease_until IS NULL OR lease_until < now())
        ORDER BY queue_key, next_run_at LIMIT 4`,
    );
    const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
    expect(plan).not.toMatch(/Sort/);
    const order = await start(20);
    expect(new Set(order.map((row) => row.accountId)).size).toBe(20);
  });
});
