import { call, eventually, type Body } from './support/api';
import { flows, type Account } from './support/flows';
import { startSystem, type System } from './support/system';

jest.setTimeout(360_000);

let system: System;
const { createAccount, generate, waitForSettled, eventsOf } = flows(() => system);

beforeAll(async () => {
  system = await startSystem('e2e_retention', { env: { RETENTION_SWEEP_INTERVAL_MS: '300' } });
});
afterAll(async () => {
  await system?.stop();
});

const admin = (method: string, path: string, body?: unknown) => call(system.gatewayUrl, method, path, { key: system.adminKey, body });
const setRetention = (accountId: string, days: unknown) => admin('PATCH', `/admin/accounts/${accountId}`, { retention_days: days });
const getTask = async (account: Account, id: string): Promise<Body> =>
  (await call(system.gatewayUrl, 'GET', `/v1/generations/${id}`, { key: account.key })).body;
const getAsset = (account: Account, id: string) => call(system.gatewayUrl, 'GET', `/v1/assets/${id}`, { key: account.key });

async function completedTask(account: Account, prompt: string): Promise<Body> {
  const created = await generate(account.key, { model: 'local', prompt, size: '64x64' });
  expect(created.status).toBe(202);
  const task = await waitForSettled(account.key, created.body.id);
  expect(task).toMatchObject({ status: 'completed', credits: { state: 'captured' } });
  return task;
}

describe('PATCH /admin/accounts/{id}', () => {
  it('sets a retention in (fractional) days and clears it with null', async () => {
    const account = await createAccount(0);
    expect(await setRetention(account.id, 0.25)).toMatchObject({
      status: 200,
      body: { id: account.id, object: 'account', retention_days: 0.25 },
    });
    expect(await setRetention(account.id, null)).toMatchObject({ status: 200, body: { retention_days: null } });
  });

  it.each([0, -1, 'ten', true, Number.MAX_SAFE_INTEGER])('refuses retention_days = %p with invalid_request', async (days) => {
    const account = await createAccount(0);
    const response = await setRetention(account.id, days);
    expect(response).toMatchObject({ status: 400, body: { code: 'invalid_request' } });
    const fields = (response.body.errors as { field: string }[]).map((error) => error.field);
    expect(new Set(fields)).toEqual(new Set(['retention_days']));
  });

  it('refuses a body without retention_days or with unknown fields, an unknown account, and a caller without the admin key', async () => {
    const account = await createAccount(0);
    expect((await admin('PATCH', `/admin/accounts/${account.id}`, {})).status).toBe(400);
    expect((await admin('PATCH', `/admin/accounts/${account.id}`, { retention_days: 1, name: 'x' })).status).toBe(400);
    expect(await setRetention('00000000-0000-4000-8000-000000000000', 1)).toMatchObject({
      status: 404,
      body: { code: 'account_not_found' },
    });
    const asUser = await call(system.gatewayUrl, 'PATCH', `/admin/accounts/${account.id}`, { key: account.key, body: { retention_days: 1 } });
    expect(asUser.status).toBe(401);
  });
});

describe('the retention job', () => {
  it("deletes an asset past its account's retention; the task shows it expired and its URL answers 410", async () => {
    const shortLived = await createAccount(10);
    const keeper = await createAccount(10);
    expect((await setRetention(shortLived.id, 4 / 86_400)).status).toBe(200); // four seconds

    const expiring = await completedTask(shortLived, 'a sandcastle at high tide');
    const kept = await completedTask(keeper, 'a granite mountain');
    const expiringAsset = expiring.assets[0];
    expect(expiringAsset).toMatchObject({ expired: false, deleted_at: null });
    expect([200, 302]).toContain((await getAsset(shortLived, expiringAsset.id)).status);
    const prefix = `accounts/${shortLived.id}/generations/${expiring.id}/`;
    expect(await system.objectKeys(prefix)).toEqual([`${prefix}0.png`]);

    const expired = await eventually(async () => {
      const task = await getTask(shortLived, expiring.id);
      return task.assets[0]?.expired ? task : undefined;
    }, 60_000, 'the asset to expire');
    expect(expired).toMatchObject({ status: 'completed', credits: { state: 'captured' } });
    expect(expired.assets[0]).toMatchObject({ id: expiringAsset.id, sha256: expiringAsset.sha256, expired: true });
    expect(Date.parse(expired.assets[0].deleted_at)).toBeGreaterThanOrEqual(Date.parse(expiring.completed_at));

    expect(await system.objectKeys(prefix)).toEqual([]);
    const gone = await getAsset(shortLived, expiringAsset.id);
    expect(gone).toMatchObject({ status: 410, body: { code: 'asset_expired', status: 410 } });
    // Still nobody else's: another account gets a 404, not the 410.
    expect((await getAsset(keeper, expiringAsset.id)).status).toBe(404);

    // Swept once: more sweeps change nothing.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const events = await eventsOf(expiring.id);
    expect(events.filter((event) => event.type === 'AssetDeleted')).toHaveLength(1);
    expect(events.filter((event) => event.type === 'CreditsCaptured')).toHaveLength(1);

    // The default retention (30 days) keeps the other account's asset.
    expect((await getTask(keeper, kept.id)).assets[0]).toMatchObject({ expired: false, deleted_at: null });
    expect([200, 302]).toContain((await getAsset(keeper, kept.assets[0].id)).status);
    expect(await system.objectKeys(`accounts/${keeper.id}/generations/${kept.id}/`)).toHaveLength(1);
    expect((await eventsOf(kept.id)).filter((event) => event.type === 'AssetDeleted')).toHaveLength(0);
  });
});
