import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { call, eventually, type Body } from './support/api';
import { startFakes, type Fakes } from './support/fakes';
import { flows, type Account } from './support/flows';
import { workspaceRoot } from './support/processes';
import { startSystem, type System } from './support/system';

jest.setTimeout(360_000);

/** BFL answers with a result URL: storage downloads it and then writes to the bucket itself. */
const shipped = JSON.parse(readFileSync(join(workspaceRoot, 'libs/providers/src/catalog/models.json'), 'utf8')) as {
  models: Record<string, unknown>[];
};
const flux = { ...shipped.models.find((model) => model['id'] === 'flux-2-pro')!, pollIntervalSeconds: 0.2 };

let fakes: Fakes;
let system: System;
const { balance, expectBalance, createAccount, generate, waitForSettled, eventsOf } = flows(() => system);

beforeAll(async () => {
  fakes = await startFakes({ models: [flux] });
  system = await startSystem('e2e_storage_outage', { env: (gatewayUrl) => fakes.env(gatewayUrl) });
});
afterAll(async () => {
  await system?.s3.start(); // in case a test stopped it and failed
  await system?.stop();
  await fakes?.stop();
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const count = (events: { type: string }[], type: string) => events.filter((event) => event.type === type).length;

async function statusOf(account: Account, taskId: string): Promise<Body> {
  return (await call(system.gatewayUrl, 'GET', `/v1/generations/${taskId}`, { key: account.key })).body;
}

/** True once a line of the service's log contains every one of `parts`. */
function logShows(service: 'storage' | 'provider-adapter', ...parts: string[]): boolean {
  const log = readFileSync(system.services.get(service)!.logFile, 'utf8');
  return log.split('\n').some((line) => parts.every((part) => line.includes(part)));
}

describe('the bucket goes away mid-flight', () => {
  it('loses no task and charges none twice: every task completes once the bucket is back', async () => {
    const credits = 100;
    const account = await createAccount(credits);

    // Warm up with the bucket up: the whole path works before the outage.
    const before = await waitForSettled(account.key, (await generate(account.key, { model: 'local', prompt: 'before the outage' })).body.id);
    expect(before).toMatchObject({ status: 'completed', credits: { state: 'captured' } });

    await system.s3.stop();
    let localIds: string[];
    let fluxId: string;
    try {
      // Local renders are staged by the provider-adapter (its worker retries the write);
      // the BFL result is downloaded by storage, whose bucket write fails and is retried.
      const created = await Promise.all([
        ...[1, 2, 3].map((i) => generate(account.key, { model: 'local', prompt: `during the outage ${i}`, seed: i })),
        generate(account.key, { model: 'flux-2-pro', prompt: 'during the outage, by URL', size: '512x512' }),
      ]);
      for (const response of created) expect(response.status).toBe(202);
      localIds = created.slice(0, 3).map((response) => response.body.id);
      fluxId = created[3].body.id;

      // Storage failed to write the downloaded result and parked the message for a retry...
      await eventually(
        async () => (logShows('storage', 'ProviderJobSucceeded', fluxId, 'retrying in') ? true : undefined),
        60_000,
        'storage to retry the BFL result',
      );
      // ...and the provider-adapter failed to stage each local render and gave the job back.
      for (const id of localIds) {
        await eventually(async () => (logShows('provider-adapter', `submit local task ${id}`, 'Error') ? true : undefined), 30_000);
      }
      for (const id of localIds) {
        // Credits reserved and work scheduled, but nothing can be staged: queued, not failed.
        const task = await eventually(async () => {
          const current = await statusOf(account, id);
          return current.status === 'created' ? undefined : current;
        }, 30_000, `task ${id} to be queued`);
        expect(task).toMatchObject({ status: 'queued', credits: { state: 'reserved' } });
      }
      expect(await statusOf(account, fluxId)).toMatchObject({ status: 'processing' });
      expect(count(await eventsOf(fluxId), 'AssetStored')).toBe(0);
    } finally {
      await system.s3.start();
    }

    const tasks = await Promise.all([...localIds, fluxId].map((id) => waitForSettled(account.key, id, 120_000)));
    for (const task of tasks) {
      expect(task).toMatchObject({ status: 'completed', error: null, credits: { state: 'captured' } });
      expect(task.assets).toHaveLength(1);
      const events = await eventsOf(task.id);
      expect(count(events, 'ProviderJobSucceeded')).toBe(1);
      expect(count(events, 'AssetStored')).toBe(1);
      expect(count(events, 'GenerationCompleted')).toBe(1);
      expect(count(events, 'CreditsCaptured')).toBe(1);
      expect(count(events, 'CreditsReleased')).toBe(0);
      expect(await system.objectKeys(`accounts/${account.id}/generations/${task.id}/`)).toEqual([
        `accounts/${account.id}/generations/${task.id}/0.png`,
      ]);
    }

    const fluxTask = tasks[3];
    const events = await eventsOf(fluxTask.id);
    const stored = events.find((event) => event.type === 'AssetStored')!.data as { key: string; sha256: string };
    expect(stored.sha256).toBe(fluxTask.assets[0].sha256);
    const download = await call(system.gatewayUrl, 'GET', `/v1/assets/${fluxTask.assets[0].id}`, { key: account.key });
    const bytes = download.status === 302 ? Buffer.from(await (await fetch(download.headers.get('location')!)).arrayBuffer()) : download.bytes;
    expect(sha256(bytes)).toBe(stored.sha256);

    const spent = 4 * 1 + 5; // four local images (1 credit each) and one FLUX image (5)
    await eventually(async () => ((await balance(account.id)).reserved === 0 ? true : undefined), 30_000, 'reservations to resolve');
    await expectBalance(account.id, { available: credits - spent, reserved: 0, captured: spent });
  });
});
