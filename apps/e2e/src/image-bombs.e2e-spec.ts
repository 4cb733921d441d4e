import { readFileSync } from 'node:fs';
import { imageBombs, type ImageBomb } from '@darkroom/testing';
import { eventually } from './support/api';
import { startFakes, type Fakes } from './support/fakes';
import { flows, type Account } from './support/flows';
import { startSystem, type System } from './support/system';

jest.setTimeout(360_000);

/**
 * Issue 14: images that decode to far more than they weigh are refused from their header,
 * whether a client uploads them or a provider returns them, and each refusal is quick.
 */
let fakes: Fakes;
let system: System;
let bombs: ImageBomb[];
const { balance, createAccount, generate, waitForSettled, eventsOf, upload } = flows(() => system);

beforeAll(async () => {
  [fakes, bombs] = await Promise.all([startFakes(), imageBombs()]);
  system = await startSystem('e2e_image_bombs', { env: (gatewayUrl) => fakes.env(gatewayUrl) });
});
afterAll(async () => {
  await system?.stop();
  await fakes?.stop();
});

/** Resident set size of a service process in MiB. */
function rssMiB(pid: number | undefined): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1]) / 1024;
}

const settledBalance = (accountId: string) =>
  eventually(async () => {
    const now = await balance(accountId);
    return now.reserved === 0 ? now : undefined;
  }, 60_000, 'reservations to resolve');

describe('POST /v1/uploads', () => {
  let account: Account;
  beforeAll(async () => {
    account = await createAccount(0);
  });

  it('refuses every bomb with 400 image_too_large in under a second, and the gateway barely grows', async () => {
    const gateway = system.services.get('gateway')!.child.pid;
    const before = rssMiB(gateway);
    for (const { name, bytes } of bombs) {
      const started = Date.now();
      const response = await upload(account.key, bytes, 'bomb.png');
      const tookMs = Date.now() - started;
      expect({ name, status: response.status, code: response.body?.code }).toEqual({ name, status: 400, code: 'image_too_large' });
      expect({ name, tookMs: tookMs < 1000 }).toEqual({ name, tookMs: true });
    }
    expect(rssMiB(gateway) - before).toBeLessThan(100);
  });

  it('names the limit the image broke', async () => {
    const response = await upload(account.key, bombs.find((bomb) => bomb.kind === 'deep-rgba-png')!.bytes);
    expect(response.body.detail).toContain('6300x6300 with 4 channel(s) of 2 byte(s) decodes to 303 MiB, over the budget of 100 MiB');
  });
});

describe('POST /v1/images/edits', () => {
  it('refuses a bomb as the input image with 400 image_too_large in under a second, creating no task', async () => {
    const account = await createAccount(10);
    const form = new FormData();
    form.append('model', 'local');
    form.append('prompt', 'make it dusk');
    const webp = bombs.find((bomb) => bomb.kind === 'lossless-webp')!.bytes;
    form.append('image', new Blob([new Uint8Array(webp)], { type: 'image/webp' }), 'in.webp');
    const started = Date.now();
    const response = await fetch(`${system.gatewayUrl}/v1/images/edits`, {
      method: 'POST',
      headers: { authorization: `Bearer ${account.key}` },
      body: form,
    });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { code: 'image_too_large', message: expect.stringContaining('decodes to 114 MiB') },
    });
    expect(await balance(account.id)).toMatchObject({ available: 10, reserved: 0 });
  });
});

describe('as a provider result', () => {
  let account: Account;
  beforeAll(async () => {
    account = await createAccount(100);
  });

  const cases = (via: string, model: string, directive: (kind: string) => string) =>
    ['tall-gray-png', 'deep-rgba-png', 'lossless-webp', 'huge-png', 'progressive-jpeg'].map((kind) => ({ via, model, kind, prompt: directive(kind) }));

  it.each([
    // BFL hands back a URL storage downloads; OpenAI's bytes arrive in the answer and are staged.
    ...cases('downloaded', 'flux-2-pro', (kind) => `a bomb [fake:sample:bomb-${kind}]`),
    ...cases('staged', 'gpt-image-1', (kind) => `a bomb [fake:bomb:${kind}]`),
  ])('$kind ($via) fails the task with storage_error within a second of storage taking it, and releases the credits', async ({ model, prompt }) => {
    const before = await settledBalance(account.id);
    const created = await generate(account.key, { model, prompt });
    expect(created.status).toBe(202);
    const task = await waitForSettled(account.key, created.body.id);
    expect(task).toMatchObject({ status: 'failed', error: { code: 'storage_error' }, credits: { state: 'released' }, assets: [] });
    expect(task.error.message).toMatch(/side over|times longer|decodes to|exceeds the limit/);
    // From the start of storage's transaction (the event's recorded_at) to its decision: fetching and refusing the bytes.
    const rejected = (await eventsOf(task.id)).find((event) => event.type === 'AssetRejected')!;
    const decidedMs = Date.parse((rejected.data as { rejectedAt: string }).rejectedAt) - Date.parse(rejected.recordedAt);
    expect(decidedMs).toBeLessThan(1000);
    expect(await settledBalance(account.id)).toEqual(before);
  });
});
