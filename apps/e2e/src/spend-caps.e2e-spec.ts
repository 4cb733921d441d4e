import { randomUUID } from 'node:crypto';
import { call, eventually, type Body } from './support/api';
import { flows } from './support/flows';
import { startSystem, type System } from './support/system';

/**
 * Spend caps (issue 18, item 6): a cap on an end user or an API key holds against concurrent
 * requests, because the ledger decides it with the reservation; the gateway refuses what is
 * clearly over up front. The local model costs 1 credit per image.
 */
jest.setTimeout(600_000);

let system: System;
const { createAccount, generate, waitForSettled } = flows(() => system);

beforeAll(async () => {
  system = await startSystem('e2e_spend_caps', { env: { RATE_LIMIT_PER_MINUTE: '1000000' } });
});
afterAll(async () => {
  await system?.stop();
});

const setCap = (key: string, body: Record<string, unknown>) => call(system.gatewayUrl, 'PUT', '/v1/spend_caps', { key, body });
const usage = (key: string, path: string) => call(system.gatewayUrl, 'GET', `/v1/usage/${path}`, { key });
const task = (user: string) => ({ model: 'local', prompt: `for ${user}`, size: '64x64', user });

/** Credits the ledger ever reserved for an end user: what the cap is about, from the log. */
async function reservedFor(accountId: string, user: string): Promise<number> {
  const { rows } = await system.db.sql.query<{ total: string | null }>(
    `SELECT sum((data->>'amount')::int) AS total FROM events
      WHERE stream_id = $1 AND type = 'CreditsReserved' AND data->'spender'->>'user' = $2`,
    [`credit-account-${accountId}`, user],
  );
  return Number(rows[0]?.total ?? 0);
}

describe('spend caps', () => {
  it('caps an end user per day: tasks up to the cap run, the next is a 402, and usage shows it', async () => {
    const account = await createAccount(1000);
    const set = await setCap(account.key, { scope: 'user', id: 'alice', period: 'day', limit: 3 });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ object: 'spend_cap', scope: 'user', id: 'alice', period: 'day', limit: 3, used: 0 });

    for (let i = 0; i < 3; i++) {
      const created = await generate(account.key, task('alice'));
      expect(created.status).toBe(202);
      expect((await waitForSettled(account.key, created.body.id)).status).toBe('completed');
    }
    const seen = await eventually(async () => {
      const response = await usage(account.key, 'users/alice');
      return response.body?.day?.credits === 3 ? response.body : undefined;
    }, 60_000, 'usage of alice');
    expect(seen).toMatchObject({ object: 'spend_usage', scope: 'user', id: 'alice', day: { credits: 3, cap: 3 }, month: { credits: 3, cap: null } });

    const refused = await generate(account.key, task('alice'));
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({ code: 'spend_cap_reached', scope: 'user', id: 'alice', period: 'day', limit: 3, used: 3 });
    // Another end user of the same account is not held by alice's cap.
    expect((await generate(account.key, task('carol'))).status).toBe(202);

    const users = await eventually(async () => {
      const response = await usage(account.key, 'users?limit=1');
      return response.body?.has_more ? response.body : undefined;
    }, 60_000, "carol's usage");
    expect(users).toMatchObject({ object: 'list', has_more: true, next_after: 'alice' });
    expect(users.data.map((row: Body) => row.id)).toEqual(['alice']);
    const rest = await usage(account.key, 'users?after=alice');
    expect(rest.body.data.map((row: Body) => row.id)).toEqual(['carol']);

    // Removing the cap lets alice spend again.
    expect((await setCap(account.key, { scope: 'user', id: 'alice', period: 'day', limit: null })).body).toMatchObject({ limit: null });
    const again = await eventually(async () => {
      const response = await generate(account.key, task('alice'));
      return response.status === 202 ? response : undefined;
    }, 60_000, 'a request after the cap is removed');
    expect((await waitForSettled(account.key, again.body.id)).status).toBe('completed');
  });

  it('never reserves past a cap under a burst: exactly the cap is reserved, losers fail with spend_cap_reached', async () => {
    const account = await createAccount(1000);
    expect((await setCap(account.key, { scope: 'user', id: 'bob', period: 'month', limit: 10 })).status).toBe(200);
    const answers = await Promise.all(Array.from({ length: 60 }, () => generate(account.key, task('bob'))));
    expect(answers.every((answer) => answer.status === 202 || (answer.status === 402 && answer.body.code === 'spend_cap_reached'))).toBe(true);
    const accepted = answers.filter((answer) => answer.status === 202).map((answer) => answer.body.id as string);
    expect(accepted.length).toBeGreaterThanOrEqual(10);

    const ended = await Promise.all(accepted.map((id) => waitForSettled(account.key, id)));
    const completed = ended.filter((row) => row.status === 'completed');
    const failed = ended.filter((row) => row.status === 'failed');
    expect(completed).toHaveLength(10);
    expect(failed.map((row) => row.error.code)).toEqual(failed.map(() => 'spend_cap_reached'));
    expect(await reservedFor(account.id, 'bob')).toBe(10);
    const bob = await eventually(async () => {
      const response = await usage(account.key, 'users/bob');
      return response.body?.month?.credits === 10 ? response.body : undefined;
    }, 60_000, 'usage of bob');
    expect(bob.month).toMatchObject({ credits: 10, cap: 10 });
  });

  it('caps an API key, set by the admin, and lists usage per key', async () => {
    const created = await call(system.gatewayUrl, 'POST', '/admin/accounts', { key: system.adminKey, body: { name: 'keyed' } });
    const { id: accountId, api_key: key, api_key_id: keyId } = created.body;
    await call(system.gatewayUrl, 'POST', `/admin/accounts/${accountId}/credits`, { key: system.adminKey, body: { amount: 100 } });
    const set = await call(system.gatewayUrl, 'PUT', `/admin/accounts/${accountId}/spend_caps`, {
      key: system.adminKey,
      body: { scope: 'key', id: keyId, period: 'day', limit: 2 },
    });
    expect(set.status).toBe(200);
    const first = await eventually(async () => {
      const response = await generate(key, { model: 'local', prompt: 'k', size: '64x64', n: 2 });
      return response.status === 202 ? response : undefined;
    }, 60_000, 'the grant to be visible');
    expect((await waitForSettled(key, first.body.id)).status).toBe('completed');
    const keys = await eventually(async () => {
      const response = await usage(key, 'keys');
      return response.body?.data?.[0]?.day?.credits === 2 ? response.body : undefined;
    }, 60_000, 'usage of the key');
    expect(keys.data).toEqual([expect.objectContaining({ scope: 'key', id: keyId, day: expect.objectContaining({ credits: 2, cap: 2 }) })]);
    const refused = await generate(key, { model: 'local', prompt: 'k', size: '64x64' });
    expect(refused.body).toMatchObject({ code: 'spend_cap_reached', scope: 'key', id: keyId });
  });

  it('refuses bad caps as 400s and a key cap on a key the account does not have as a 404', async () => {
    const account = await createAccount(0);
    const bad = [
      { scope: 'user', id: 'u', period: 'day', limit: -1 },
      { scope: 'user', id: 'u', period: 'week', limit: 1 },
      { scope: 'team', id: 'u', period: 'day', limit: 1 },
      { scope: 'user', id: 'a\u0001b', period: 'day', limit: 1 },
      { scope: 'user', id: 'u', period: 'day', limit: 1.5 },
      { scope: 'user', id: 'u', period: 'day' },
    ];
    for (const body of bad) expect({ body, status: (await setCap(account.key, body)).status }).toEqual({ body, status: 400 });
    const foreign = await setCap(account.key, { scope: 'key', id: randomUUID(), period: 'day', limit: 1 });
    expect(foreign).toMatchObject({ status: 404, body: { code: 'api_key_not_found' } });
    expect((await generate(account.key, { model: 'local', prompt: 'x', user: 'x'.repeat(257) })).status).toBe(400);
    expect((await usage(account.key, 'teams')).status).toBe(404);
  });
});
