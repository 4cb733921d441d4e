import type { GenerationStatus } from '@darkroom/contracts';
import { newId } from '@darkroom/kernel';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';
import { listGenerations, type GenerationListQuery } from './generation-list';

jest.setTimeout(60_000);

let db: TestDatabase;
const account = newId();
const other = newId();
/** Newest first, as every page lists them. */
let tasks: { id: string; status: GenerationStatus; model: string; createdAt: string }[] = [];

const statuses: GenerationStatus[] = ['completed', 'failed', 'processing', 'canceled', 'queued'];

beforeAll(async () => {
  db = await createTestDatabase();
  // 25 tasks a second apart, two pairs sharing a created_at (the id breaks the tie), and one of another account.
  for (let i = 0; i < 25; i++) {
    const task = {
      id: newId(),
      status: statuses[i % statuses.length]!,
      model: i % 3 === 0 ? 'flux' : 'local',
      createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i === 7 || i === 13 ? i - 1 : i)).toISOString(),
    };
    tasks.push(task);
    await insert(account, task);
  }
  await insert(other, { id: newId(), status: 'completed', model: 'flux', createdAt: new Date(Date.UTC(2026, 0, 2)).toISOString() });
  const desc = (a: string, b: string) => (a < b ? 1 : a > b ? -1 : 0);
  tasks = tasks.sort((a, b) => desc(a.createdAt, b.createdAt) || desc(a.id, b.id));
});
afterAll(() => db.drop());

async function insert(accountId: string, task: { id: string; status: string; model: string; createdAt: string }): Promise<void> {
  await db.sql.query(
    `INSERT INTO generations (id, account_id, status, model, prompt, params, price, credits_state, deadline, created_at)
     VALUES ($1, $2, $3, $4, 'p', '{}', 1, 'reserved', $5, $5)`,
    [task.id, accountId, task.status, task.model, task.createdAt],
  );
}

/** Every page of the query, followed by its cursor: the ids in order. */
async function walk(query: Omit<GenerationListQuery, 'accountId' | 'after'>): Promise<string[]> {
  const ids: string[] = [];
  let after: GenerationListQuery['after'];
  do {
    const page = await listGenerations(db.sql, { accountId: account, ...query, ...(after ? { after } : {}) });
    expect(page.rows.length).toBeLessThanOrEqual(query.limit);
    ids.push(...page.rows.map((row) => row.id));
    after = page.next ?? undefined;
  } while (after);
  return ids;
}

describe('listGenerations', () => {
  it('pages an account through every task, newest first, without another account', async () => {
    expect(await walk({ limit: 4 })).toEqual(tasks.map((task) => task.id));
  });

  it('pages a status filter in the same order', async () => {
    expect(await walk({ limit: 2, statuses: ['failed'] })).toEqual(tasks.filter((t) => t.status === 'failed').map((t) => t.id));
  });

  it('merges several statuses into one order, across pages', async () => {
    const wanted = new Set<GenerationStatus>(['completed', 'canceled', 'queued']);
    expect(await walk({ limit: 3, statuses: [...wanted, 'completed'] })).toEqual(
      tasks.filter((t) => wanted.has(t.status)).map((t) => t.id),
    );
  });

  it('filters by model over every status, and by model and status together', async () => {
    expect(await walk({ limit: 3, model: 'flux' })).toEqual(tasks.filter((t) => t.model === 'flux').map((t) => t.id));
    expect(await walk({ limit: 1, model: 'flux', statuses: ['completed', 'processing'] })).toEqual(
      tasks.filter((t) => t.model === 'flux' && (t.status === 'completed' || t.status === 'processing')).map((t) => t.id),
    );
  });

  it('bounds created_at on both sides, with and without a status', async () => {
    const after = tasks[18]!.createdAt;
    const before = tasks[3]!.createdAt;
    const inside = tasks.filter((t) => t.createdAt > after && t.createdAt < before);
    expect(await walk({ limit: 5, createdAfter: after, createdBefore: before })).toEqual(inside.map((t) => t.id));
    expect(await walk({ limit: 5, createdAfter: after, createdBefore: before, statuses: ['processing'] })).toEqual(
      inside.filter((t) => t.status === 'processing').map((t) => t.id),
    );
  });

  it('says no page follows when the last one is exactly full', async () => {
    const failed = tasks.filter((t) => t.status === 'failed');
    const page = await listGenerations(db.sql, { accountId: account, limit: failed.length, statuses: ['failed'] });
    expect(page.rows.map((row) => row.id)).toEqual(failed.map((t) => t.id));
    expect(page.next).toBeNull();
  });
});
