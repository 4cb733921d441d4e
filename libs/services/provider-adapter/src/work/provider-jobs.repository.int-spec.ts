import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { GenerationRequest } from '@darkroom/contracts';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';
import { ProviderJobsRepository } from './provider-jobs.repository';

let db: TestDatabase;
let repo: ProviderJobsRepository;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 6 });
  repo = new ProviderJobsRepository(db.sql);
});
afterAll(async () => {
  await db?.drop();
});
beforeEach(async () => {
  await db.sql.query(`DELETE FROM provider_jobs`);
});

const request = (): GenerationRequest => ({
  accountId: randomUUID(),
  model: 'flux-2-pro',
  prompt: 'p',
  width: 64,
  height: 64,
  n: 1,
  seed: 1,
  outputFormat: 'png',
});

async function schedule(count: number, provider = 'bfl'): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  for (const taskId of ids) {
    await db.sql.transaction((tx) =>
      repo.schedule(tx, {
        taskId,
        accountId: randomUUID(),
        model: 'flux-2-pro',
        provider,
        request: request(),
        deadline: new Date(Date.now() + 60_000).toISOString(),
        causeEventId: randomUUID(),
      }),
    );
  }
  return ids;
}

const claim = (owner: string, limit: number, concurrency?: number) =>
  repo.claim({ provider: 'bfl', phase: 'submit', limit, owner, leaseMs: 60_000, ...(concurrency ? { concurrency } : {}) });

describe('provider jobs work table', () => {
  it('schedules a task once, however often GenerationQueued is delivered', async () => {
    const [taskId] = await schedule(1);
    await db.sql.transaction((tx) =>
      repo.schedule(tx, {
        taskId,
        accountId: randomUUID(),
        model: 'other',
        provider: 'bfl',
        request: request(),
        deadline: new Date().toISOString(),
        causeEventId: randomUUID(),
      }),
    );
    const { rows } = await db.sql.query<{ model: string; attempt: number }>(`SELECT model, attempt FROM provider_jobs`);
    expect(rows).toEqual([{ model: 'flux-2-pro', attempt: 1 }]);
  });

  it('never hands one row to two workers claiming at the same time', async () => {
    await schedule(40);
    const claims = await Promise.all(['a', 'b', 'c', 'd'].map((owner) => claim(owner, 15)));
    const taken = claims.flat().map((row) => row.taskId);
    expect(taken).toHaveLength(40);
    expect(new Set(taken).size).toBe(40);
  });

  it('keeps the jobs in flight of a provider at its concurrency limit across workers', async () => {
    await schedule(30);
    const first = await Promise.all(['a', 'b', 'c'].map((owner) => claim(owner, 10, 8)));
    expect(first.flat()).toHaveLength(8);
    expect(await claim('d', 10, 8)).toHaveLength(0);

    const [done, accepted] = first.flat();
    await db.sql.transaction((tx) => repo.setPhase(tx, done.taskId, 'done', 1));
    await db.sql.transaction((tx) => repo.accepted(tx, accepted.taskId, 'job-1', { pollingUrl: 'x' }, new Date(Date.now() + 60_000)));
    // One slot freed by the finished job; the accepted one is still in flight (being polled).
    expect(await claim('d', 10, 8)).toHaveLength(1);
  });

  it('lets another worker take a row whose lease ran out', async () => {
    await schedule(1);
    const [row] = await repo.claim({ provider: 'bfl', phase: 'submit', limit: 1, owner: 'crashed', leaseMs: 50 });
    expect(await claim('other', 1)).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect((await claim('other', 1)).map((r) => r.taskId)).toEqual([row.taskId]);
  });

  it('keeps a renewed lease, frees a dead worker\'s concurrency slot once its lease runs out', async () => {
    await schedule(3);
    const lease = (owner: string) => repo.claim({ provider: 'bfl', phase: 'submit', limit: 1, owner, leaseMs: 1000, concurrency: 2 });
    const [held] = await lease('alive');
    const [dead] = await lease('dead');
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await repo.renew([held.taskId, dead.taskId], 'alive', 1000);
    }
    // 1.5 s on: the live worker's row is still leased; the dead one's slot and row are free again.
    const taken = (await claim('other', 5, 2)).map((row) => row.taskId);
    expect(taken).toHaveLength(1);
    expect(taken).not.toContain(held.taskId);
    await repo.renew([], 'alive', 1000);
  });

  it('takes back a row its worker gave up on, after the pause', async () => {
    const [taskId] = await schedule(1);
    await claim('a', 1);
    await repo.release(taskId, 'someone-else', 0);
    expect(await claim('b', 1)).toHaveLength(0);
    await repo.release(taskId, 'a', 50);
    expect(await claim('b', 1)).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect((await claim('b', 1)).map((row) => row.taskId)).toEqual([taskId]);
  });

  it('moves to a later attempt only, and not after the task was abandoned', async () => {
    const [taskId, abandoned] = await schedule(2);
    const retry = (id: string, attempt: number) =>
      db.sql.transaction((tx) =>
        repo.reschedule(tx, { taskId: id, attempt, model: 'm2', provider: 'fal', notBefore: new Date().toISOString(), causeEventId: randomUUID() }),
      );
    await retry(taskId, 2);
    await retry(taskId, 2);
    await retry(taskId, 1);
    await db.sql.transaction((tx) => repo.setPhase(tx, abandoned, 'abandoned'));
    await retry(abandoned, 2);
    const { rows } = await db.sql.query<{ task_id: string; attempt: number; model: string; phase: string }>(
      `SELECT task_id, attempt, model, phase FROM provider_jobs`,
    );
    const byId = new Map(rows.map((row) => [row.task_id, row]));
    expect(byId.get(taskId)).toMatchObject({ attempt: 2, model: 'm2', phase: 'submit' });
    expect(byId.get(abandoned)).toMatchObject({ attempt: 1, model: 'flux-2-pro', phase: 'abandoned' });
  });

  it('claims only rows that are due', async () => {
    const [taskId] = await schedule(1);
    await db.sql.transaction((tx) => repo.later(tx, taskId, new Date(Date.now() + 60_000)));
    expect(await claim('a', 5)).toHaveLength(0);
    expect(await repo.due(['bfl', 'fal'])).toEqual([]);
    const [soon] = await schedule(1);
    expect(await repo.due(['bfl', 'fal'])).toEqual([{ provider: 'bfl', phase: 'submit' }]);
    expect(await repo.due(['fal'])).toEqual([]);
    expect(soon).toBeDefined();
  });
});
