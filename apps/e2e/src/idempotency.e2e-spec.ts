import { isDeepStrictEqual } from 'node:util';
import { call, eventually, type ApiResponse } from './support/api';
import { flows, type Account } from './support/flows';
import { startSystem, type System } from './support/system';

/**
 * `Idempotency-Key` on `POST /v1/generations` (issue 5, "Done when"; decision 0012):
 * 500 keys × 20 genuinely concurrent identical POSTs create exactly 500 tasks and 500
 * reservations, and every answer names its key's task.
 */
// Generous: 10,000 requests plus 500 renders on a loaded 2-core machine shared with other suites.
jest.setTimeout(2_400_000);

const KEYS = 500;
const PER_KEY = 20;
/** Keys whose 20 requests run at once: 10 × 20 = 200 requests in flight. */
const KEYS_AT_ONCE = 10;
const BURST_GRANT = KEYS + 20;

let system: System;
const { balance, createAccount, generate } = flows(() => system);

beforeAll(async () => {
  // The load test must not be throttled by the per-key rate limit.
  system = await startSystem('e2e_idempotency', { env: { RATE_LIMIT_PER_MINUTE: '1000000' } });
});
afterAll(async () => {
  await system?.stop();
});

const post = (account: Account, key: string | undefined, body: Record<string, unknown>) =>
  call(system.gatewayUrl, 'POST', '/v1/generations', {
    key: account.key,
    body,
    ...(key === undefined ? {} : { headers: { 'Idempotency-Key': key } }),
  });

/**
 * A POST as a careful client sends it: a dropped connection or a 5xx is repeated with the
 * same key, which is what the key is for. (On a machine shared with other suites, a
 * keep-alive socket the server is closing can reset a written request, and PostgreSQL can
 * run out of connections for a moment.)
 */
async function postRetrying(account: Account, key: string, body: Record<string, unknown>): Promise<ApiResponse> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await post(account, key, body);
      if (response.status < 500 || attempt >= 10) return response;
    } catch (error) {
      if (attempt >= 10) throw error;
    }
    retries++;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
let retries = 0;

const request = (prompt: string) => ({ model: 'local', prompt, size: '64x64' });

/** Count of events of `type` whose task (or reservation) is one of `taskIds`. */
async function countEvents(type: string, accountId: string): Promise<Map<string, number>> {
  const { rows } = await system.db.sql.query<{ task: string; count: string }>(
    `SELECT coalesce(data->>'reservationId', data->>'taskId') AS task, count(*) AS count
       FROM events WHERE type = $1 AND metadata->>'accountId' = $2 GROUP BY 1`,
    [type, accountId],
  );
  return new Map(rows.map((row) => [row.task, Number(row.count)]));
}

describe(`${KEYS} Idempotency-Keys × ${PER_KEY} concurrent identical POSTs`, () => {
  let account: Account;
  const answers = new Map<string, ApiResponse[]>();

  beforeAll(async () => {
    account = await createAccount(BURST_GRANT);
    const keys = Array.from({ length: KEYS }, (_, index) => `burst-${index}-${account.id}`);
    let next = 0;
    const worker = async () => {
      while (next < keys.length) {
        const index = next++;
        const key = keys[index];
        // All 20 copies of one key are sent together: they race for the same key.
        answers.set(key, await Promise.all(Array.from({ length: PER_KEY }, () => postRetrying(account, key, request(`burst ${index}`)))));
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: KEYS_AT_ONCE }, worker));
    // A key whose claimant failed before appending (a 5xx above) answers 409 until its claim
    // goes stale (60 s); a client that keeps retrying then gets the task made.
    const unfinished = keys.filter((key) => !answers.get(key)!.some((r) => r.status === 202));
    for (const key of unfinished) {
      const index = keys.indexOf(key);
      const made = await eventually(async () => {
        const response = await postRetrying(account, key, request(`burst ${index}`));
        return response.status === 202 ? response : undefined;
      }, 300_000, `a task for ${key}`);
      answers.get(key)!.push(made);
    }
    console.log(
      `${KEYS * PER_KEY} requests answered in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
        `(${retries} repeated after a dropped connection or 5xx; ${unfinished.length} keys finished by a later retry)`,
    );
  });

  it('answers every request with its key\'s task: one 202 creates it, the others replay it or are told it is in progress', () => {
    const wrong: unknown[] = [];
    for (const [key, responses] of answers) {
      const created = responses.filter((r) => r.status === 202 && r.headers.get('idempotent-replayed') === null);
      const replayed = responses.filter((r) => r.status === 202 && r.headers.get('idempotent-replayed') === 'true');
      const inProgress = responses.filter((r) => r.status === 409 && r.body?.code === 'idempotency_key_in_progress');
      const taskIds = new Set([...created, ...replayed].map((r) => r.body.id).concat(inProgress.map((r) => r.body.task_id)));
      const ok =
        created.length === 1 &&
        created.length + replayed.length + inProgress.length === responses.length &&
        responses.length >= PER_KEY &&
        taskIds.size === 1 &&
        created[0].body.status === 'created' &&
        replayed.every((r) => isDeepStrictEqual(r.body, created[0].body));
      if (!ok) wrong.push({ key, statuses: responses.map((r) => `${r.status} ${r.body?.code ?? r.body?.id}`) });
    }
    expect(wrong).toEqual([]);
    expect(answers.size).toBe(KEYS);
  });

  it(`creates exactly ${KEYS} tasks and ${KEYS} reservations, one per key`, async () => {
    const taskIds = new Set([...answers.values()].map((responses) => responses.find((r) => r.status === 202)!.body.id as string));
    expect(taskIds.size).toBe(KEYS);

    const created = await countEvents('GenerationCreated', account.id);
    expect(created.size).toBe(KEYS);
    expect([...created.values()].every((count) => count === 1)).toBe(true);
    expect(new Set(created.keys())).toEqual(taskIds);

    // The ledger reserves asynchronously; the read model follows the log.
    const reserved = await eventually(async () => {
      const counts = await countEvents('CreditsReserved', account.id);
      return counts.size === KEYS ? counts : undefined;
    }, 300_000, `${KEYS} reservations`);
    expect([...reserved.values()].every((count) => count === 1)).toBe(true);
    expect(new Set(reserved.keys())).toEqual(taskIds);

    const rows = await eventually(async () => {
      const { rows } = await system.db.sql.query<{ id: string; idempotency_key: string }>(
        `SELECT id, idempotency_key FROM generations WHERE account_id = $1`,
        [account.id],
      );
      return rows.length >= KEYS ? rows : undefined;
    }, 120_000, 'the generations read model');
    expect(rows).toHaveLength(KEYS);
    expect(new Set(rows.map((row) => row.id))).toEqual(taskIds);
    for (const [key, responses] of answers) {
      const id = responses.find((r) => r.status === 202)!.body.id;
      expect(rows.find((row) => row.id === id)?.idempotency_key).toBe(key);
    }
  });
});

describe('one key, requests one after another', () => {
  let account: Account;

  beforeAll(async () => {
    account = await createAccount(20);
  });

  it('replays the first response, with the same status and body and a replay header', async () => {
    const first = await post(account, 'order-1', request('replayed'));
    expect(first.status).toBe(202);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = await post(account, 'order-1', { size: '64x64', prompt: 'replayed', model: 'local' });
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((await countEvents('GenerationCreated', account.id)).get(first.body.id)).toBe(1);
  });

  it('refuses the same key with another body (422 idempotency_key_reused), creating nothing', async () => {
    const first = await post(account, 'order-2', request('the first body'));
    expect(first.status).toBe(202);
    const before = (await countEvents('GenerationCreated', account.id)).size;
    const other = await post(account, 'order-2', request('another body'));
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ code: 'idempotency_key_reused', status: 422 });
    expect((await countEvents('GenerationCreated', account.id)).size).toBe(before);
  });

  it('keeps keys apart per account: another account\'s same key makes its own task', async () => {
    const other = await createAccount(5);
    const mine = await post(account, 'shared-key', request('shared key'));
    const theirs = await post(other, 'shared-key', request('shared key'));
    expect(mine.status).toBe(202);
    expect(theirs.status).toBe(202);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect((await countEvents('GenerationCreated', other.id)).get(theirs.body.id)).toBe(1);
  });

  it('does not burn a key on a refused request: the corrected retry with it creates the task', async () => {
    const refused = await post(account, 'order-3', { ...request('fix me'), model: 'no-such-model' });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('model_not_found');
    const fixed = await post(account, 'order-3', request('fix me'));
    expect(fixed.status).toBe(202);
    expect(fixed.headers.get('idempotent-replayed')).toBeNull();
    const again = await post(account, 'order-3', request('fix me'));
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(fixed.body.id);
  });

  it('does not burn a key on a 402 either: after a grant the same key works', async () => {
    const poor = await createAccount(0);
    const refused = await post(poor, 'order-4', request('later'));
    expect(refused.status).toBe(402);
    const granted = await call(system.gatewayUrl, 'POST', `/admin/accounts/${poor.id}/credits`, {
      key: system.adminKey,
      body: { amount: 3, reason: 'e2e' },
    });
    expect(granted.status).toBe(201);
    // The fast 402 reads the balance projection, which may still be busy with the burst above.
    await eventually(async () => ((await balance(poor.id)).available === 3 ? true : undefined), 300_000, 'the grant to reach the balance');
    const accepted = await post(poor, 'order-4', request('later'));
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('idempotent-replayed')).toBeNull();
  });

  it.each([
    ['too long', 'k'.repeat(256)],
    ['with a space', 'two words'],
  ])('refuses a key that is %s with 400 invalid_idempotency_key', async (_, key) => {
    const response = await post(account, key, request('bad key'));
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid_idempotency_key');
  });

  it('without a key, two identical requests are two tasks', async () => {
    const a = await generate(account.key, request('no key'));
    const b = await generate(account.key, request('no key'));
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.body.id).not.toBe(b.body.id);
  });
});
