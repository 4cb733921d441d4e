import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { call, eventually, type Body } from './support/api';
import { startFakes, type Fakes } from './support/fakes';
import { flows, type Account } from './support/flows';
import { workspaceRoot } from './support/processes';
import { startSystem, type System } from './support/system';

jest.setTimeout(360_000);

/** Shipped models, with fast polling so lost webhooks are found within seconds. */
const shipped = JSON.parse(readFileSync(join(workspaceRoot, 'libs/providers/src/catalog/models.json'), 'utf8')) as {
  models: Record<string, unknown>[];
};
const fast: Record<string, unknown>[] = shipped.models.map((model) => ({ ...model, pollIntervalSeconds: 0.2 }));
const replicateModel = fast.find((model) => model['id'] === 'nano-banana-replicate')!;
const catalog = {
  models: [...fast, { ...replicateModel, id: 'replicate-5s', deadlineSeconds: 5, maxAttempts: 1 }],
};

let fakes: Fakes;
let system: System;
const { balance, expectBalance, createAccount, generate, waitForSettled, eventsOf, upload, download } = flows(() => system);

beforeAll(async () => {
  fakes = await startFakes(catalog);
  system = await startSystem('e2e_providers', { env: (gatewayUrl) => fakes.env(gatewayUrl) });
});
afterAll(async () => {
  await system?.stop();
  await fakes?.stop();
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const count = (events: { type: string }[], type: string) => events.filter((event) => event.type === type).length;
const attemptOf = (event: { data: unknown }) => (event.data as { attempt: number }).attempt;

async function settledBalance(accountId: string) {
  return eventually(async () => {
    const now = await balance(accountId);
    return now.reserved === 0 ? now : undefined;
  }, 60_000, 'reservations to resolve');
}

/** Each provider's own way of saying "moderated". */
const models = [
  { model: 'gpt-image-1', provider: 'openai', moderated: '[fake:moderated]', price: 4 },
  { model: 'nano-banana', provider: 'gemini', moderated: '[fake:blocked:SAFETY]', price: 3 },
  { model: 'flux-2-pro', provider: 'bfl', moderated: '[fake:content-moderated]', price: 5 },
  { model: 'nano-banana-replicate', provider: 'replicate', moderated: '[fake:moderated]', price: 3 },
  { model: 'flux-schnell', provider: 'replicate', moderated: '[fake:moderated]', price: 1 },
  { model: 'nano-banana-fal', provider: 'fal', moderated: '[fake:moderated]', price: 3 },
];

describe.each(models)('$provider ($model)', ({ model, moderated, price }) => {
  let account: Account;

  beforeAll(async () => {
    account = await createAccount(100);
  });

  it('completes with the image copied into our bucket and the price captured', async () => {
    const created = await generate(account.key, { model, prompt: `a red fox for ${model}` });
    expect(created.status).toBe(202);
    const task = await waitForSettled(account.key, created.body.id);
    expect(task).toMatchObject({ status: 'completed', credits: { price, state: 'captured' }, error: null });
    expect(task.assets).toHaveLength(1);
    const fetched = await download(account.key, task.assets[0].id);
    expect(fetched.status).toBe(200);
    expect(sha256(fetched.bytes)).toBe(task.assets[0].sha256);
    expect((await sharp(fetched.bytes).metadata()).format).toBe('png');
    expect(await settledBalance(account.id)).toMatchObject({ available: 100 - price, captured: price });
  });

  it('fails with content_moderated when the provider refuses, and releases the credits', async () => {
    const before = await settledBalance(account.id);
    const created = await generate(account.key, { model, prompt: `something forbidden ${moderated}` });
    const task = await waitForSettled(account.key, created.body.id);
    expect(task).toMatchObject({ status: 'failed', error: { code: 'content_moderated' }, credits: { state: 'released' } });
    expect(task.error.provider_detail).toBeTruthy();
    expect(await settledBalance(account.id)).toEqual(before);
  });
});

describe('async providers: webhooks and polling', () => {
  let account: Account;

  beforeAll(async () => {
    account = await createAccount(200);
  });

  async function run(model: string, prompt: string): Promise<Body> {
    const created = await generate(account.key, { model, prompt });
    expect(created.status).toBe(202);
    return waitForSettled(account.key, created.body.id);
  }

  it.each(['nano-banana-replicate', 'nano-banana-fal'])(
    '%s: a webhook delivered 3 times yields one completion and one capture',
    async (model) => {
      const task = await run(model, `three deliveries ${model} [fake:duplicate-webhook:3]`);
      expect(task.status).toBe('completed');
      const fake = model.endsWith('fal') ? fakes.fal : fakes.replicate;
      await eventually(async () => {
        const ours = fake.webhooks.filter((hook) => hook.url.includes(task.id) && hook.status === 200);
        return ours.length >= 3 ? true : undefined;
      }, 20_000, 'three accepted deliveries');
      const events = await eventsOf(task.id);
      expect(count(events, 'ProviderJobSucceeded')).toBe(1);
      expect(count(events, 'GenerationCompleted')).toBe(1);
      expect(count(events, 'CreditsCaptured')).toBe(1);
    },
  );

  it.each(['nano-banana-replicate', 'nano-banana-fal', 'flux-2-pro'])('%s: a lost webhook is recovered by polling', async (model) => {
    const task = await run(model, `nobody calls back ${model} [fake:lose-webhook]`);
    expect(task.status).toBe('completed');
    const events = await eventsOf(task.id);
    expect(count(events, 'ProviderJobSucceeded')).toBe(1);
    expect(count(events, 'CreditsCaptured')).toBe(1);
  });

  it('a webhook racing a poll on the same result settles once', async () => {
    // The webhook arrives about when the poll sees the result; whichever is second changes nothing.
    const task = await run('nano-banana-replicate', 'race [fake:late-webhook:2000]');
    expect(task.status).toBe('completed');
    await eventually(async () => (fakes.replicate.webhooks.some((hook) => hook.url.includes(task.id)) ? true : undefined), 20_000);
    const events = await eventsOf(task.id);
    expect(count(events, 'ProviderJobSucceeded')).toBe(1);
    expect(count(events, 'GenerationCompleted')).toBe(1);
    expect(count(events, 'CreditsCaptured')).toBe(1);
  });

  it('a forged or stale signature is refused with 401 and changes nothing; polling still completes the task', async () => {
    for (const directive of ['[fake:bad-signature]', '[fake:stale-webhook]']) {
      const task = await run('nano-banana-replicate', `untrusted ${directive}`);
      expect(task.status).toBe('completed');
      const deliveries = fakes.replicate.webhooks.filter((hook) => hook.url.includes(task.id));
      expect(deliveries.length).toBeGreaterThan(0);
      expect(deliveries.every((hook) => hook.status === 401)).toBe(true);
    }

    const task = await run('nano-banana-replicate', 'forged afterwards');
    const before = await eventsOf(task.id);
    const submitted = before.find((event) => event.type === 'ProviderJobSubmitted')!.data as { providerJobId: string };
    const forged = await fetch(`${system.gatewayUrl}/webhooks/providers/replicate?task=${task.id}&attempt=1`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': 'msg_forged',
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': 'v1,bm90IGEgcmVhbCBzaWduYXR1cmUgYXQgYWxsIQ==',
      },
      body: JSON.stringify({ id: submitted.providerJobId, status: 'failed', error: 'forged' }),
    });
    expect(forged.status).toBe(401);
    expect(((await forged.json()) as Body).code).toBe('webhook_signature_invalid');
    expect(await eventsOf(task.id)).toHaveLength(before.length);
  });

  it('a task past its deadline fails with timeout, releases its credits, and the late result is never billed', async () => {
    const before = await settledBalance(account.id);
    const created = await generate(account.key, { model: 'replicate-5s', prompt: 'too slow [fake:latency:8000]' });
    const task = await waitForSettled(account.key, created.body.id, 30_000);
    expect(task).toMatchObject({ status: 'failed', error: { code: 'timeout' }, credits: { state: 'released' } });
    expect(await settledBalance(account.id)).toEqual(before);
    const late = await eventually(async () => {
      const events = await eventsOf(task.id);
      return count(events, 'ProviderJobLateResult') === 1 ? events : undefined;
    }, 30_000, 'the late result to be recorded');
    expect(count(late, 'ProviderJobAbandoned')).toBe(1);
    expect(count(late, 'ProviderJobSucceeded')).toBe(0);
    expect(count(late, 'CreditsCaptured')).toBe(0);
    await expectBalance(account.id, before);
  });

  it('an expired result URL fails the task with storage_error and releases the credits', async () => {
    const before = await settledBalance(account.id);
    fakes.bfl.configure({ resultTtlMs: 1 });
    try {
      const task = await run('flux-2-pro', 'expires at once');
      expect(task).toMatchObject({ status: 'failed', error: { code: 'storage_error' }, credits: { state: 'released' } });
      expect(task.error.message).toContain('403');
    } finally {
      fakes.bfl.configure({ resultTtlMs: 600_000 });
    }
    expect(await settledBalance(account.id)).toEqual(before);
  });

  it.each([
    ['an HTML page served as image/png', 'html', 'not a png'],
    ['a small PNG declaring 30000x30000 pixels', 'huge-dims', 'pixel'],
    ['a body without Content-Length that never ends', 'endless', 'too_large'],
  ])('%s fails the task with storage_error and releases the credits', async (_, kind, reason) => {
    const before = await settledBalance(account.id);
    const task = await run('flux-2-pro', `hostile result [fake:sample:${kind}]`);
    expect(task).toMatchObject({ status: 'failed', error: { code: 'storage_error' }, credits: { state: 'released' } });
    expect(task.error.message.toLowerCase()).toContain(reason);
    expect(task.assets).toEqual([]);
    expect(await settledBalance(account.id)).toEqual(before);
  });

  it('cancel releases the credits and cancels the job at the provider', async () => {
    const before = await settledBalance(account.id);
    const created = await generate(account.key, { model: 'nano-banana-fal', prompt: 'long queue [fake:queue:200]' });
    await eventually(async () => {
      const task = await call(system.gatewayUrl, 'GET', `/v1/generations/${created.body.id}`, { key: account.key });
      return task.body.status === 'processing' ? true : undefined;
    }, 30_000, 'processing');
    const canceled = await call(system.gatewayUrl, 'POST', `/v1/generations/${created.body.id}/cancel`, { key: account.key });
    expect(canceled.status).toBe(200);
    expect(canceled.body.status).toBe('canceled');
    expect(await settledBalance(account.id)).toEqual(before);
    await eventually(async () => (fakes.fal.server.received('PUT', /\/cancel$/).length > 0 ? true : undefined), 20_000, 'a provider cancel');
  });
});

describe('retries and fallbacks', () => {
  it.each(['gpt-image-1', 'nano-banana-replicate', 'flux-2-pro'])(
    '%s: 429 then success completes, with both attempts in the task history',
    async (model) => {
      const account = await createAccount(20);
      const created = await generate(account.key, { model, prompt: `busy at first (${model}) [fake:429x1]` });
      const task = await waitForSettled(account.key, created.body.id);
      expect(task).toMatchObject({ status: 'completed', attempts: 2, credits: { state: 'captured' } });
      const events = await eventsOf(task.id);
      const failed = events.find((event) => event.type === 'ProviderJobFailed')!;
      expect(failed.data).toMatchObject({ attempt: 1, retryable: true, code: 'provider_error' });
      expect((failed.data as { retryAfterSeconds?: number }).retryAfterSeconds).toBeGreaterThan(0);
      expect(events.filter((event) => event.type === 'GenerationRetryScheduled').map(attemptOf)).toEqual([2]);
      expect(events.filter((event) => event.type === 'ProviderJobSubmitted').map(attemptOf)).toEqual([1, 2]);
      expect(count(events, 'CreditsCaptured')).toBe(1);
    },
  );

  it('moves to the fallback model once the model attempts are spent', async () => {
    const account = await createAccount(20);
    const created = await generate(account.key, { model: 'nano-banana', prompt: 'overloaded [fake:gemini:503x3]' });
    const task = await waitForSettled(account.key, created.body.id, 90_000);
    expect(task).toMatchObject({ status: 'completed', attempts: 4, credits: { price: 3, state: 'captured' } });
    const submitted = (await eventsOf(task.id))
      .filter((event) => event.type === 'ProviderJobSubmitted')
      .map((event) => (event.data as { attempt: number; model: string }))
      .map(({ attempt, model }) => [attempt, model]);
    expect(submitted).toEqual([
      [1, 'nano-banana'],
      [2, 'nano-banana'],
      [3, 'nano-banana'],
      [4, 'nano-banana-fal'],
    ]);
  });

  it('fails with the provider error once every attempt and fallback is spent, releasing the credits', async () => {
    const account = await createAccount(20);
    const created = await generate(account.key, { model: 'gpt-image-1', prompt: 'always down [fake:500x9]' });
    const task = await waitForSettled(account.key, created.body.id, 90_000);
    expect(task).toMatchObject({ status: 'failed', attempts: 3, error: { code: 'provider_error' }, credits: { state: 'released' } });
    expect(await settledBalance(account.id)).toMatchObject({ available: 20, captured: 0 });
  });
});

describe('edits with input images', () => {
  let account: Account;
  let uploadId: string;

  beforeAll(async () => {
    account = await createAccount(100);
    const image = await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 200, g: 40, b: 40 } } }).png().toBuffer();
    const uploaded = await upload(account.key, image);
    expect(uploaded.status).toBe(201);
    uploadId = uploaded.body.id;
  });

  const reached: Record<string, () => boolean> = {
    'gpt-image-1': () => fakes.openai.server.received('POST', /\/v1\/images\/edits$/).length > 0,
    'nano-banana': () => fakes.gemini.server.requests.some((r) => r.body.toString().includes('"inlineData"')),
    'flux-2-pro': () => fakes.bfl.server.requests.some((r) => r.body.toString().includes('"input_image"')),
    'nano-banana-replicate': () => fakes.replicate.server.requests.some((r) => r.body.toString().includes('"image_input"')),
    'nano-banana-fal': () => fakes.fal.server.received('POST', /\/edit$/).length > 0,
  };

  it.each(Object.keys(reached))('%s edits an uploaded image', async (model) => {
    const created = await generate(account.key, { model, prompt: `make it blue (${model})`, input_images: [uploadId] });
    expect(created.status).toBe(202);
    expect(created.body.params.input_images).toEqual([uploadId]);
    const task = await waitForSettled(account.key, created.body.id);
    expect(task.status).toBe('completed');
    expect(reached[model]()).toBe(true);
  });

  it('is refused with 400 on a model that cannot edit, before anything is charged', async () => {
    const before = await settledBalance(account.id);
    const refused = await generate(account.key, { model: 'flux-schnell', prompt: 'edit me', input_images: [uploadId] });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'unsupported_by_model' });
    expect(refused.body.errors.map((error: { field: string }) => error.field)).toEqual(['input_images']);
    await expectBalance(account.id, before);
  });
});
