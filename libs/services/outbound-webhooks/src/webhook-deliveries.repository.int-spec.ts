import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';
import { WebhookDeliveriesRepository, type ClaimedDelivery } from './webhook-deliveries.repository';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository';

// The machine is shared and loaded: creating and migrating a database can take a while.
jest.setTimeout(120_000);

let db: TestDatabase;
let endpoints: WebhookEndpointsRepository;
let deliveries: WebhookDeliveriesRepository;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 6 });
  endpoints = new WebhookEndpointsRepository(db.sql);
  deliveries = new WebhookDeliveriesRepository(db.sql);
});
afterAll(async () => {
  await db?.drop();
});
beforeEach(async () => {
  await db.sql.query(`DELETE FROM webhook_endpoints`);
  await db.sql.query(`DELETE FROM webhook_deliveries`);
});

const policy = { scheduleMs: [60_000, 120_000], disableAfterMs: 3_600_000 };
const failure = { statusCode: 500, error: 'HTTP 500', durationMs: 3 };
const success = { statusCode: 200, durationMs: 3 };

async function endpoint(accountId = randomUUID(), events = ['generation.completed'] as const) {
  return endpoints.create({ id: randomUUID(), accountId, url: 'https://example.com/hook', events: [...events], description: null, secret: 'whsec_c2VjcmV0' });
}

async function enqueue(endpointIds: string[], accountId: string, eventId: string = randomUUID()): Promise<string> {
  await db.sql.transaction((tx) =>
    deliveries.enqueue(tx, { endpointIds, accountId, eventId, messageId: `msg_${eventId}`, eventType: 'generation.completed', taskId: randomUUID(), payload: '{}' }),
  );
  return eventId;
}

async function claimOne(owner = 'w1'): Promise<ClaimedDelivery> {
  const [claimed, ...more] = await deliveries.claim(10, owner, 60_000);
  expect(more).toEqual([]);
  return claimed;
}

describe('webhook deliveries work table', () => {
  it('creates one delivery per endpoint and event, however often the event is handled', async () => {
    const account = randomUUID();
    const [a, b] = [await endpoint(account), await endpoint(account)];
    const eventId = await enqueue([a.id, b.id], account);
    await enqueue([a.id, b.id], account, eventId);
    const { rows } = await db.sql.query(`SELECT endpoint_id FROM webhook_deliveries WHERE event_id = $1`, [eventId]);
    expect(rows).toHaveLength(2);
  });

  it('subscribes enabled endpoints of the event type that existed when the event was recorded', async () => {
    const account = randomUUID();
    const completed = await endpoint(account);
    await endpoint(account, ['generation.failed'] as never);
    await endpoint(); // another account
    const subscribed = (recordedAt: string) => db.sql.transaction((tx) => endpoints.subscribed(tx, account, 'generation.completed', recordedAt));
    expect(await subscribed(new Date(Date.now() + 1000).toISOString())).toEqual([{ id: completed.id }]);
    expect(await subscribed(new Date(Date.now() - 60_000).toISOString())).toEqual([]);
    await db.sql.query(`UPDATE webhook_endpoints SET enabled = false WHERE id = $1`, [completed.id]);
    expect(await subscribed(new Date(Date.now() + 1000).toISOString())).toEqual([]);
  });

  it('leases each due delivery to one worker, never one of a disabled endpoint', async () => {
    const account = randomUUID();
    const [on, off] = [await endpoint(account), await endpoint(account)];
    for (let i = 0; i < 10; i++) await enqueue([on.id, off.id], account);
    await db.sql.query(`UPDATE webhook_endpoints SET enabled = false WHERE id = $1`, [off.id]);
    const [first, second] = await Promise.all([deliveries.claim(7, 'w1', 60_000), deliveries.claim(7, 'w2', 60_000)]);
    const ids = [...first, ...second].map((d) => d.id);
    expect(new Set(ids).size).toBe(10);
    expect([...first, ...second].every((d) => d.endpointId === on.id && d.url === on.url && d.secret === on.secret)).toBe(true);
    expect(await deliveries.claim(10, 'w3', 60_000)).toEqual([]);
  });

  it('retries a failure on its schedule, then gives up; a success ends the endpoint’s failing period', async () => {
    const account = randomUUID();
    const target = await endpoint(account);
    await enqueue([target.id], account);
    const claimed = await claimOne();

    expect(await deliveries.record(claimed, { ...failure, attemptedAt: new Date() }, policy)).toEqual({ status: 'pending', disabledEndpoint: false });
    let [row] = await deliveries.list(target.id, 10);
    expect(Date.parse(row.nextAttemptAt!) - Date.now()).toBeGreaterThan(50_000);
    expect((await endpoints.get(account, target.id))!.failingSince).not.toBeNull();
    expect(await deliveries.claim(10, 'w1', 60_000)).toEqual([]); // not due yet

    await deliveries.record(claimed, { ...failure, attemptedAt: new Date() }, policy);
    expect(await deliveries.record(claimed, { ...failure, attemptedAt: new Date() }, policy)).toEqual({ status: 'failed', disabledEndpoint: false });
    [row] = await deliveries.list(target.id, 10);
    expect(row).toMatchObject({ status: 'failed', attemptCount: 3, nextAttemptAt: null, lastStatusCode: 500, lastError: 'HTTP 500' });

    await deliveries.redeliver(target.id, row.id);
    expect(await deliveries.record(await claimOne(), { ...success, attemptedAt: new Date() }, policy)).toEqual({ status: 'succeeded', disabledEndpoint: false });
    expect((await endpoints.get(account, target.id))!.failingSince).toBeNull();
    const attempts = (await deliveries.attempts([row.id])).get(row.id)!;
    expect(attempts.map((a) => [a.trigger, a.statusCode])).toEqual([
      ['scheduled', 500],
      ['scheduled', 500],
      ['scheduled', 500],
      ['redeliver', 200],
    ]);
  });

  it('disables an endpoint failing past the period and resumes its deliveries when enabled', async () => {
    const account = randomUUID();
    const target = await endpoint(account);
    await enqueue([target.id], account);
    const claimed = await claimOne();
    const start = new Date(Date.now() - 10_000);
    expect(await deliveries.record(claimed, { ...failure, attemptedAt: start }, { ...policy, disableAfterMs: 5_000 })).toEqual({
      status: 'pending',
      disabledEndpoint: false,
    });
    await db.sql.query(`UPDATE webhook_deliveries SET next_attempt_at = now()`);
    const again = await claimOne();
    expect(await deliveries.record(again, { ...failure, attemptedAt: new Date() }, { ...policy, disableAfterMs: 5_000 })).toEqual({
      status: 'pending',
      disabledEndpoint: true,
    });
    const disabled = (await endpoints.get(account, target.id))!;
    expect(disabled).toMatchObject({ enabled: false });
    expect(disabled.disabledReason).toContain('HTTP 500');
    await db.sql.query(`UPDATE webhook_deliveries SET next_attempt_at = now()`);
    expect(await deliveries.claim(10, 'w1', 60_000)).toEqual([]);

    expect(await endpoints.enable(account, target.id)).toMatchObject({ enabled: true, disabledReason: null, failingSince: null });
    expect((await claimOne()).id).toBe(claimed.id);
  });

  it('sends a redelivery asked for during an attempt right after it', async () => {
    const account = randomUUID();
    const target = await endpoint(account);
    await enqueue([target.id], account);
    const inFlight = await claimOne();
    await deliveries.redeliver(target.id, inFlight.id);
    expect(await deliveries.record(inFlight, { ...success, attemptedAt: new Date() }, policy)).toMatchObject({ status: 'pending' });
    const next = await claimOne();
    expect(next).toMatchObject({ id: inFlight.id, redeliver: true, messageId: inFlight.messageId, payload: inFlight.payload });
  });

  it('pages the log newest first and forgets it with the endpoint', async () => {
    const account = randomUUID();
    const target = await endpoint(account);
    for (let i = 0; i < 3; i++) await enqueue([target.id], account);
    const all = await deliveries.list(target.id, 10);
    expect(all).toHaveLength(3);
    expect(await deliveries.list(target.id, 10, all[0].id)).toEqual(all.slice(1));
    expect(await endpoints.delete(randomUUID(), target.id)).toBe(false);
    expect(await endpoints.delete(account, target.id)).toBe(true);
    expect((await db.sql.query(`SELECT 1 FROM webhook_deliveries`)).rows).toEqual([]);
  });

  it('sends a per-request webhook once per event, signed with the account’s default secret, and keeps its log apart', async () => {
    const account = randomUUID();
    const target = await endpoint(account);
    const eventId = randomUUID();
    const secret = await endpoints.defaultSecret(account, () => 'whsec_Zmlyc3Q=');
    expect(await endpoints.defaultSecret(account, () => 'whsec_c2Vjb25k')).toBe(secret);
    const forRequest = { url: 'https://example.com/task-hook', accountId: account, eventId, messageId: `msg_${eventId}`, eventType: 'generation.completed', taskId: randomUUID(), payload: '{"a":1}' };
    await db.sql.transaction(async (tx) => {
      await deliveries.enqueue(tx, { ...forRequest, endpointIds: [target.id] });
      await deliveries.enqueueForRequest(tx, forRequest);
    });
    await db.sql.transaction((tx) => deliveries.enqueueForRequest(tx, forRequest)); // redelivered event

    const claimed = await deliveries.claim(10, 'w1', 60_000);
    expect(claimed.map((d) => [d.endpointId, d.url, d.secret, d.messageId]).sort()).toEqual(
      [
        [target.id, target.url, target.secret, `msg_${eventId}`],
        [null, 'https://example.com/task-hook', 'whsec_Zmlyc3Q=', `msg_${eventId}`],
      ].sort(),
    );
    const toRequest = claimed.find((d) => d.endpointId === null)!;
    expect(await deliveries.record(toRequest, { ...failure, attemptedAt: new Date() }, policy)).toEqual({ status: 'pending', disabledEndpoint: false });
    expect((await endpoints.get(account, target.id))!.failingSince).toBeNull();

    const log = await deliveries.listForRequests(account, 10);
    expect(log).toMatchObject([{ id: toRequest.id, endpointId: null, url: 'https://example.com/task-hook', status: 'pending', attemptCount: 1 }]);
    expect(await deliveries.listForRequests(randomUUID(), 10)).toEqual([]);
    expect((await deliveries.list(target.id, 10)).map((d) => d.id)).toEqual([claimed.find((d) => d.endpointId === target.id)!.id]);
  });
});
