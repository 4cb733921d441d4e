import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { call, eventually, type Body } from './support/api';
import { startFakes, type Fakes } from './support/fakes';
import { flows } from './support/flows';
import { workspaceRoot } from './support/processes';
import { startSystem, type System } from './support/system';

jest.setTimeout(360_000);

/** BFL answers with a result URL: storage downloads it and writes it to the bucket itself. */
const shipped = JSON.parse(readFileSync(join(workspaceRoot, 'libs/providers/src/catalog/models.json'), 'utf8')) as {
  models: Record<string, unknown>[];
};
const flux = { ...shipped.models.find((model) => model['id'] === 'flux-2-pro')!, pollIntervalSeconds: 0.2 };

let fakes: Fakes;
let system: System;
const { balance, expectBalance, createAccount, generate, waitForSettled, eventsOf } = flows(() => system);

beforeAll(async () => {
  fakes = await startFakes({ models: [flux] });
  // Two deliveries 300 ms apart, then the dead-letter queue: a bucket outage poisons the message fast.
  system = await startSystem('e2e_dead_letters', {
    env: (gatewayUrl) => ({ ...fakes.env(gatewayUrl), CONSUMER_MAX_ATTEMPTS: '2', CONSUMER_RETRY_DELAYS_MS: '300' }),
  });
});
afterAll(async () => {
  await system?.s3.start();
  await system?.stop();
  await fakes?.stop();
});

const admin = (method: string, path: string, body?: unknown) => call(system.gatewayUrl, method, path, { key: system.adminKey, body });
const count = (events: { type: string }[], type: string) => events.filter((event) => event.type === type).length;

describe('dead letters', () => {
  it('a message storage gave up on is listed with its error, re-driven once the bucket is back, and completes its task once', async () => {
    const account = await createAccount(20);
    let letter: Body;
    let taskId: string;
    await system.s3.stop();
    try {
      const created = await generate(account.key, { model: 'flux-2-pro', prompt: 'poisoned by an outage', size: '512x512' });
      expect(created.status).toBe(202);
      taskId = created.body.id;
      letter = await eventually(async () => {
        const listed = await admin('GET', '/admin/dead-letters?consumer=storage');
        expect(listed.status).toBe(200);
        return (listed.body.data as Body[]).find((entry) => (entry.message as Body).metadata.correlationId === taskId);
      }, 60_000, 'the storage message to be dead-lettered');
    } finally {
      await system.s3.start();
    }

    expect(letter).toMatchObject({
      object: 'dead_letter',
      consumer: 'storage',
      attempts: 2,
      message: { type: 'ProviderJobSucceeded' },
    });
    expect(letter.id).toBe(`storage:${(letter.message as Body).event_id}`);
    expect(String(letter.error)).not.toHaveLength(0);
    expect(Date.parse(letter.first_failed_at)).toBeLessThanOrEqual(Date.parse(letter.last_failed_at));
    // Parked, not failed: the task waits for the re-drive with its credits still reserved.
    expect((await call(system.gatewayUrl, 'GET', `/v1/generations/${taskId}`, { key: account.key })).body).toMatchObject({
      status: 'processing',
      credits: { state: 'reserved' },
    });

    const redriven = await admin('POST', `/admin/dead-letters/${letter.id}/redrive`);
    expect(redriven.status).toBe(200);
    expect(redriven.body).toMatchObject({ consumer: 'storage', redriven: 1 });

    const task = await waitForSettled(account.key, taskId, 120_000);
    expect(task).toMatchObject({ status: 'completed', error: null, credits: { state: 'captured' } });
    const events = await eventsOf(taskId);
    for (const type of ['ProviderJobSucceeded', 'AssetStored', 'GenerationCompleted', 'CreditsCaptured']) {
      expect([type, count(events, type)]).toEqual([type, 1]);
    }

    // It is gone from the list; a second re-drive of the same id finds nothing, and a bulk re-drive moves nothing.
    const after = await admin('GET', '/admin/dead-letters?consumer=storage');
    expect((after.body.data as Body[]).filter((entry) => entry.id === letter.id)).toEqual([]);
    expect((await admin('POST', `/admin/dead-letters/${letter.id}/redrive`)).body).toMatchObject({ status: 404, code: 'dead_letter_not_found' });
    expect((await admin('POST', '/admin/dead-letters/redrive', {})).body).toMatchObject({ redriven: 0 });
    expect(count(await eventsOf(taskId), 'CreditsCaptured')).toBe(1);
    await eventually(async () => ((await balance(account.id)).reserved === 0 ? true : undefined), 30_000, 'the capture to be projected');
    await expectBalance(account.id, { available: 15, reserved: 0, captured: 5 });
  });

  it('refuses unknown consumers and ids with problems, and API keys on the admin routes', async () => {
    const account = await createAccount(1);
    expect((await admin('GET', '/admin/dead-letters?consumer=nobody')).body).toMatchObject({ status: 400 });
    expect((await admin('POST', '/admin/dead-letters/nobody:123/redrive')).body).toMatchObject({ status: 404, code: 'dead_letter_not_found' });
    expect((await admin('POST', '/admin/dead-letters/redrive', { consumer: 'nobody' })).body).toMatchObject({ status: 400 });
    expect((await call(system.gatewayUrl, 'GET', '/admin/dead-letters', { key: account.key })).status).toBe(401);
  });
});
