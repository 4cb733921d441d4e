import { createHash } from 'node:crypto';
import { AssetUrlSigner } from '@darkroom/object-storage';
import { call, eventually, type Body } from './support/api';
import { startFakes, type Fakes } from './support/fakes';
import { flows, type Account } from './support/flows';
import { freePort } from './support/processes';
import { startSystem, type System } from './support/system';
import { Receiver } from './support/webhook-receiver';

// Generous: other engineers' builds and tests share this 2-core machine.
jest.setTimeout(600_000);
const WAIT_MS = 300_000;

let fakes: Fakes;
let system: System;
let receiver: Receiver;
/** The signing keys the gateway gets: the first signs, the second is a previous one still accepted. */
const SIGNING_KEYS = [`current-${Date.now()}-signing-key`, `previous-${Date.now()}-signing-key`];

beforeAll(async () => {
  receiver = new Receiver(await freePort());
  await receiver.start();
  fakes = await startFakes();
  system = await startSystem('e2e_request_options', {
    env: (gatewayUrl) => ({
      ...fakes.env(gatewayUrl),
      OUTBOUND_WEBHOOK_HTTP_HOSTS: `127.0.0.1:${receiver.port}`,
      OUTBOUND_WEBHOOK_RETRY_SCHEDULE: Array.from({ length: 60 }, () => '1').join(','),
      DEADLINE_SWEEP_INTERVAL_MS: '250',
      ASSET_URL_SIGNING_KEYS: SIGNING_KEYS.join(','),
    }),
  });
});
afterAll(async () => {
  await system?.stop();
  await fakes?.stop();
  await receiver?.stop();
});

const { createAccount, generate, waitForSettled, eventsOf, expectBalance } = flows(() => system);
const api = (method: string, path: string, key: string, body?: unknown) => call(system.gatewayUrl, method, path, { key, body });
const count = (events: { type: string }[], type: string) => events.filter((event) => event.type === type).length;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A URL fetched as an <img> would: no Authorization header, redirects followed. */
async function fetchWithoutKey(url: string): Promise<{ status: number; bytes: Buffer; body: Body }> {
  const response = await fetch(url);
  const bytes = Buffer.from(await response.arrayBuffer());
  const body = (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(bytes.toString()) : undefined;
  return { status: response.status, bytes, body };
}

/** The account's per-request delivery of the task once `ready`. */
async function requestDelivery(key: string, taskId: string, ready = (d: Body) => d.status === 'succeeded'): Promise<Body> {
  return eventually(async () => {
    const listed = await api('GET', '/v1/webhooks/default/deliveries?limit=100', key);
    const delivery = listed.body.data.find((d: Body) => d.task_id === taskId);
    return delivery && ready(delivery) ? delivery : undefined;
  }, WAIT_MS, `the webhook of task ${taskId}`);
}

describe('per-request webhooks', () => {
  let owner: Account;
  let secret: string;

  beforeAll(async () => {
    owner = await createAccount(50);
    const read = await api('GET', '/v1/webhooks/default/secret', owner.key);
    expect(read.status).toBe(200);
    secret = read.body.secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect((await api('GET', '/v1/webhooks/default/secret', owner.key)).body.secret).toBe(secret);
    for (const path of ['/completed', '/failed', '/canceled', '/failures-only']) receiver.secrets.set(path, secret);
  });

  it('refuses a webhook an endpoint could not have, before anything is created', async () => {
    const cases: [unknown, number, string, string][] = [
      [{ url: 'http://example.com/hook' }, 400, 'invalid_request', 'webhook.url'],
      [{ url: 'https://10.0.0.8/hook' }, 400, 'invalid_request', 'webhook.url'],
      [{ url: 'https://localhost/hook' }, 400, 'webhook_url_not_allowed', 'webhook.url'],
      [{ url: 'https://metadata.google.internal/hook' }, 400, 'webhook_url_not_allowed', 'webhook.url'],
      [{ url: 'https://example.com/hook', events: ['generation.started'] }, 400, 'invalid_request', 'webhook.events'],
      [{ events: ['generation.completed'] }, 400, 'invalid_request', 'webhook.url'],
    ];
    for (const [webhook, status, code, field] of cases) {
      const refused = await generate(owner.key, { model: 'local', prompt: 'refused', size: '32x32', webhook });
      expect({ webhook, status: refused.status, code: refused.body.code }).toEqual({ webhook, status, code });
      expect(refused.body.errors.map((e: Body) => e.field)).toContain(field);
    }
    expect((await api('GET', '/v1/generations', owner.key)).body.data).toEqual([]);
  });

  it('arrives once per terminal state, signed with the default secret, with one webhook-id across retries', async () => {
    receiver.answers.set('/completed', 503); // the first attempts fail: retried with the same id
    const hook = (path: string, events?: string[]) => ({ url: `${receiver.url}${path}`, ...(events ? { events } : {}) });
    const completed = await generate(owner.key, { model: 'local', prompt: 'a lighthouse', size: '32x32', webhook: hook('/completed') });
    const failed = await generate(owner.key, { model: 'local', prompt: 'broken [fail]', size: '32x32', webhook: hook('/failed') });
    const slow = await generate(owner.key, { model: 'local', prompt: 'never mind [slow:60000]', size: '32x32', webhook: hook('/canceled') });
    const unsubscribed = await generate(owner.key, { model: 'local', prompt: 'fine', size: '32x32', webhook: hook('/failures-only', ['generation.failed']) });
    for (const created of [completed, failed, slow, unsubscribed]) expect(created.status).toBe(202);
    expect((await api('POST', `/v1/generations/${slow.body.id}/cancel`, owner.key)).body.status).toBe('canceled');

    await eventually(async () => (receiver.at('/completed').length >= 2 ? true : undefined), WAIT_MS, 'two failed attempts');
    receiver.answers.set('/completed', 200);

    const expected = { '/completed': [completed, 'completed'], '/failed': [failed, 'failed'], '/canceled': [slow, 'canceled'] } as const;
    for (const [path, [created, status]] of Object.entries(expected)) {
      const task = await waitForSettled(owner.key, created.body.id, WAIT_MS);
      expect(task.status).toBe(status);
      const delivery = await requestDelivery(owner.key, task.id);
      expect(delivery).toMatchObject({ endpoint_id: null, url: `${receiver.url}${path}`, event_type: `generation.${status}`, last_status_code: 200 });
      const requests = receiver.at(path);
      expect(requests.every((r) => r.problem === undefined && r.id === delivery.message_id && r.body === requests[0].body)).toBe(true);
      expect(requests.filter((r) => r.answered === 200)).toHaveLength(1);
      expect(requests.length).toBe(delivery.attempts.length);
      expect(requests[0].payload).toMatchObject({ type: `generation.${status}`, data: { id: task.id, object: 'generation', status } });
      expect(requests[0].payload.data.assets).toHaveLength(status === 'completed' ? 1 : 0);
    }
    // The completion's asset carries a URL that works without a key, for an hour from the event.
    const [asset] = receiver.at('/completed')[0].payload.data.assets;
    expect(asset.signed_url).toMatch(new RegExp(`^${system.gatewayUrl}/v1/assets/${asset.id}\\?expires=\\d+&signature=`));
    expect(Date.parse(asset.signed_url_expires_at) - Date.parse(receiver.at('/completed')[0].payload.timestamp)).toBe(3600_000);
    const fetched = await fetchWithoutKey(asset.signed_url);
    expect(fetched.status).toBe(200);
    expect(sha256(fetched.bytes)).toBe(asset.sha256);
    const retried = receiver.at('/completed');
    expect(retried.map((r) => r.answered).slice(0, 2)).toEqual([503, 503]);
    expect(new Set(retried.map((r) => r.id)).size).toBe(1);

    // Subscribed to failures only: its completion is handled and sends nothing.
    const done = await waitForSettled(owner.key, unsubscribed.body.id, WAIT_MS);
    expect(done.status).toBe('completed');
    const completion = (await eventsOf(done.id)).find((e) => e.type === 'GenerationCompleted')!;
    await eventually(async () => {
      const { rows } = await system.db.sql.query(`SELECT 1 FROM inbox WHERE consumer = 'outbound-webhooks' AND event_id = $1`, [completion.eventId]);
      return rows.length > 0 ? true : undefined;
    }, WAIT_MS, 'the completion to reach the outbound-webhooks consumer');
    expect((await system.db.sql.query(`SELECT 1 FROM webhook_deliveries WHERE task_id = $1`, [done.id])).rows).toEqual([]);
    expect(receiver.at('/failures-only')).toEqual([]);
  });

  it('keeps the webhook in the task’s GenerationCreated and shows the log to its account only', async () => {
    const other = await createAccount(0);
    const listed = await api('GET', '/v1/webhooks/default/deliveries', owner.key);
    expect(listed.body.data.length).toBe(3);
    const [created] = await eventsOf(listed.body.data[0].task_id);
    expect(created.type).toBe('GenerationCreated');
    expect((created.data as Body).webhook).toEqual({ url: listed.body.data[0].url, events: ['generation.completed', 'generation.failed', 'generation.canceled'] });
    expect((await api('GET', '/v1/webhooks/default/deliveries', other.key)).body).toEqual({ object: 'list', data: [], has_more: false });
    expect((await api('GET', '/v1/webhooks/default/secret', other.key)).body.secret).not.toBe(secret);
  });
});

describe('per-request deadlines', () => {
  let account: Account;

  beforeAll(async () => {
    account = await createAccount(20);
  });

  it('refuses a deadline above the model’s with a problem naming its limit', async () => {
    const model = (await api('GET', '/v1/models', account.key)).body.data.find((m: Body) => m.id === 'nano-banana-replicate');
    const refused = await generate(account.key, { model: 'nano-banana-replicate', prompt: 'x', deadline_seconds: model.deadline_seconds + 1 });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'deadline_above_model', max_deadline_seconds: model.deadline_seconds });
    expect(refused.body.errors.map((e: Body) => e.field)).toEqual(['deadline_seconds']);
    for (const bad of [0, 1.5, '10']) {
      const invalid = await generate(account.key, { model: 'local', prompt: 'x', deadline_seconds: bad });
      expect({ bad, code: invalid.body.code }).toEqual({ bad, code: 'invalid_request' });
    }
    await expectBalance(account.id, { available: 20, reserved: 0 });
  });

  it('fails a task past its 2 s deadline with timeout, cancels the job, releases the credits and never bills the late result', async () => {
    receiver.secrets.set('/deadline', (await api('GET', '/v1/webhooks/default/secret', account.key)).body.secret);
    const created = await generate(account.key, {
      model: 'nano-banana-replicate',
      prompt: 'too slow [fake:latency:8000]',
      deadline_seconds: 2,
      webhook: { url: `${receiver.url}/deadline` },
    });
    expect(created.status).toBe(202);
    const task = await waitForSettled(account.key, created.body.id, WAIT_MS);
    expect(task).toMatchObject({ status: 'failed', error: { code: 'timeout' }, credits: { state: 'released' } });
    const endedMs = Date.parse(task.failed_at) - Date.parse(task.created_at);
    expect(endedMs).toBeGreaterThanOrEqual(2000);
    expect(endedMs).toBeLessThan(8000); // before the provider would have answered
    await expectBalance(account.id, { available: 20, reserved: 0 });

    const late = await eventually(async () => {
      const events = await eventsOf(task.id);
      return count(events, 'ProviderJobLateResult') === 1 ? events : undefined;
    }, WAIT_MS, 'the late result to be recorded');
    expect(count(late, 'ProviderJobAbandoned')).toBe(1);
    expect(count(late, 'ProviderJobSucceeded')).toBe(0);
    expect(count(late, 'CreditsCaptured')).toBe(0);
    const submitted = late.find((e) => e.type === 'ProviderJobSubmitted')!.data as { providerJobId: string };
    expect(fakes.replicate.prediction(submitted.providerJobId)).toMatchObject({ status: 'canceled' });
    await expectBalance(account.id, { available: 20, reserved: 0, captured: 0 });

    const delivery = await requestDelivery(account.key, task.id);
    expect(receiver.at('/deadline').map((r) => [r.problem, r.payload.type, r.payload.data.error.code])).toEqual([[undefined, 'generation.failed', 'timeout']]);
    expect(delivery.event_type).toBe('generation.failed');
  });
});

describe('signed asset URLs', () => {
  let owner: Account;
  let other: Account;
  let asset: Body;
  let signed: Body;

  beforeAll(async () => {
    [owner, other] = [await createAccount(5), await createAccount(5)];
    const created = await generate(owner.key, { model: 'local', prompt: 'for an img tag', size: '48x32' });
    const task = await waitForSettled(owner.key, created.body.id, WAIT_MS);
    [asset] = task.assets;
  });

  it('hands out a URL of the asset that works without a key until it expires', async () => {
    const before = Date.now();
    const response = await api('GET', `/v1/assets/${asset.id}/signed_url?expires_in=600`, owner.key);
    expect(response.status).toBe(200);
    signed = response.body;
    expect(signed).toMatchObject({ object: 'signed_asset_url', asset_id: asset.id });
    expect(Date.parse(signed.expires_at) - before).toBeGreaterThanOrEqual(599_000);
    expect(Date.parse(signed.expires_at) - before).toBeLessThanOrEqual(600_000 + 60_000);
    const fetched = await fetchWithoutKey(signed.url);
    expect(fetched.status).toBe(200);
    expect(sha256(fetched.bytes)).toBe(asset.sha256);
    // The default lifetime: SIGNED_ASSET_URL_TTL_SECONDS.
    const defaulted = (await api('GET', `/v1/assets/${asset.id}/signed_url`, owner.key)).body;
    expect(Date.parse(defaulted.expires_at) - Date.now()).toBeGreaterThan(3500_000);
  });

  it('refuses a changed, expired or foreign-key URL, and hands out none for another account', async () => {
    const url = new URL(signed.url);
    const expires = url.searchParams.get('expires')!;
    const signature = url.searchParams.get('signature')!;
    const at = (query: string, id = asset.id) => fetchWithoutKey(`${system.gatewayUrl}/v1/assets/${id}?${query}`);

    const changed = await at(`expires=${Number(expires) + 1}&signature=${signature}`);
    expect({ status: changed.status, code: changed.body.code }).toEqual({ status: 403, code: 'signed_url_invalid' });
    const otherAsset = await at(`expires=${expires}&signature=${signature}`, '6f1c2a4e-0d3b-4c5a-8e7f-9a0b1c2d3e4f');
    expect(otherAsset.status).toBe(403);
    expect((await at(`expires=${expires}`)).status).toBe(403);

    const expired = new AssetUrlSigner(SIGNING_KEYS).url(system.gatewayUrl, asset.id, new Date(Date.now() - 1000));
    expect(await fetchWithoutKey(expired)).toMatchObject({ status: 403, body: { code: 'signed_url_expired' } });
    // Signed with the previous key, still listed: accepted during the rotation; a key not listed: refused.
    const previous = new AssetUrlSigner([SIGNING_KEYS[1]]).url(system.gatewayUrl, asset.id, new Date(Date.now() + 60_000));
    expect((await fetchWithoutKey(previous)).status).toBe(200);
    const rotatedOut = new AssetUrlSigner(['a-key-nobody-lists-anymore']).url(system.gatewayUrl, asset.id, new Date(Date.now() + 60_000));
    expect(await fetchWithoutKey(rotatedOut)).toMatchObject({ status: 403, body: { code: 'signed_url_invalid' } });

    expect((await api('GET', `/v1/assets/${asset.id}/signed_url`, other.key)).body).toMatchObject({ status: 404, code: 'asset_not_found' });
    expect((await fetchWithoutKey(`${system.gatewayUrl}/v1/assets/${asset.id}`)).status).toBe(401);
    for (const bad of ['expires_in=59', 'expires_in=604801', 'expires_in=x']) {
      expect((await api('GET', `/v1/assets/${asset.id}/signed_url?${bad}`, owner.key)).body.code).toBe('invalid_request');
    }
  });
});
