import { createHmac } from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';
import { call, type Body } from './support/api';
import { flows, type Account } from './support/flows';
import { startSystem, type System } from './support/system';

// Generous: other engineers' builds and tests share this 2-core machine.
jest.setTimeout(600_000);
const WAIT_MS = 300_000;

/** The machine's Chromium, from Debian's package (tools/scripts/ensure-chromium.sh installs it). */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const TOKEN_KEY = `token-key-${Date.now()}-e2e`;

let system: System;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  system = await startSystem('e2e_scoped_tokens', { env: { TOKEN_SIGNING_KEYS: TOKEN_KEY } });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // As root in a sandbox without a network beyond loopback: no sandbox, no background calls home.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage();
  // A page of darkroom's origin that holds nothing but the token it is handed.
  await page.goto(`${system.gatewayUrl}/health/live`);
});
afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

const { createAccount, generate, waitForSettled } = flows(() => system);
const api = (method: string, path: string, key: string, body?: unknown) => call(system.gatewayUrl, method, path, { key, body });

/** `fetch` from the page with only the token; status and JSON body. */
function fromPage(token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Body }> {
  return page.evaluate(
    async ({ token, method, path, body, headers }) => {
      const response = await fetch(path, {
        method,
        headers: { ...headers, authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    { token, method, path, body, headers },
  );
}

/** An HS256 JWT written from RFC 7519 / 7515, independent of darkroom's signer. */
function jwt(key: string, claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signed = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${signed}.${createHmac('sha256', key).update(signed).digest('base64url')}`;
}

async function issue(key: string, body: Record<string, unknown>): Promise<Body> {
  const issued = await api('POST', '/v1/tokens', key, body);
  expect(issued.status).toBe(201);
  return issued.body;
}

describe('scoped tokens in a browser', () => {
  let owner: Account;
  let other: Account;
  let token: Body;

  beforeAll(async () => {
    [owner, other] = [await createAccount(20), await createAccount(5)];
    token = await issue(owner.key, { end_user_id: 'user-8412', expires_in: 600, models: ['local'], max_price: 1 });
  });

  it('issues a short-lived token with its scope, to an API key only', async () => {
    expect(token).toMatchObject({ object: 'scoped_token', end_user_id: 'user-8412', scope: { models: ['local'], max_price: 1, task_id: null } });
    expect(Date.parse(token.expires_at) - Date.now()).toBeGreaterThan(500_000);
    expect(Date.parse(token.expires_at) - Date.now()).toBeLessThanOrEqual(600_000);
    for (const bad of [{}, { end_user_id: 'u', expires_in: 86_400 }, { end_user_id: 'u', models: [] }, { end_user_id: 'u', max_price: 0 }]) {
      expect((await api('POST', '/v1/tokens', owner.key, bad)).body.code).toBe('invalid_request');
    }
    expect((await api('POST', '/v1/tokens', owner.key, { end_user_id: 'u', models: ['no-such-model'] })).body.code).toBe('model_not_found');
    expect((await fromPage(token.token, 'POST', '/v1/tokens', { end_user_id: 'escalate' })).body).toMatchObject({ status: 403, code: 'token_scope_refused' });
  });

  it('creates a task, streams its status and shows its image from a signed URL', async () => {
    const result = await page.evaluate(
      async ({ token }) => {
        const auth = { authorization: `Bearer ${token}` };
        const created = await fetch('/v1/generations', {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'local', prompt: 'a lighthouse for the browser', size: '96x64' }),
        });
        const task = await created.json();
        // The status stream, read as a fetch body (EventSource cannot send the token header).
        const stream = await fetch(`/v1/generations/${task.id}/stream`, { headers: auth });
        const reader = stream.body!.getReader();
        const decoder = new TextDecoder();
        const statuses: string[] = [];
        let buffered = '';
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffered += decoder.decode(value, { stream: true });
          for (const line of buffered.split('\n').slice(0, -1)) if (line.startsWith('data: ')) statuses.push(JSON.parse(line.slice(6)).status);
          buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
        }
        const done = await (await fetch(`/v1/generations/${task.id}`, { headers: auth })).json();
        const signed = await (await fetch(`/v1/assets/${done.assets[0].id}/signed_url`, { headers: auth })).json();
        const image = document.createElement('img');
        const loaded = new Promise<void>((resolve, reject) => {
          image.onload = () => resolve();
          image.onerror = () => reject(new Error(`image did not load: ${signed.url}`));
        });
        image.src = signed.url;
        document.body.append(image);
        await loaded;
        return { createdStatus: created.status, id: task.id, statuses, done, signedUrl: signed.url, width: image.naturalWidth, height: image.naturalHeight };
      },
      { token: token.token },
    );
    expect(result.createdStatus).toBe(202);
    expect(result.statuses.at(-1)).toBe('completed');
    expect(result.statuses.length).toBeGreaterThanOrEqual(2);
    expect(result.done).toMatchObject({ id: result.id, status: 'completed', credits: { price: 1 } });
    expect(result.signedUrl).toMatch(/\?expires=\d+&signature=/);
    expect([result.width, result.height]).toEqual([96, 64]);
    // The task is the account's, tagged with the token and its end user.
    const read = await api('GET', `/v1/generations/${result.id}/events`, owner.key);
    expect(read.body.data[0]).toMatchObject({ type: 'GenerationCreated', data: { scoped_token: { token_id: token.id, end_user_id: 'user-8412' } } });
  });

  it('refuses another task, another account’s asset, other routes, and what its scope excludes', async () => {
    const mine = await waitForSettled(owner.key, (await generate(owner.key, { model: 'local', prompt: 'made with the key', size: '32x32' })).body.id, WAIT_MS);
    const theirs = await waitForSettled(other.key, (await generate(other.key, { model: 'local', prompt: 'another account', size: '32x32' })).body.id, WAIT_MS);
    const t = token.token;
    expect((await fromPage(t, 'GET', `/v1/generations/${mine.id}`)).body).toMatchObject({ status: 404, code: 'generation_not_found' });
    expect((await fromPage(t, 'GET', `/v1/generations/${mine.id}/stream`)).status).toBe(404);
    expect((await fromPage(t, 'GET', `/v1/assets/${mine.assets[0].id}`)).body).toMatchObject({ status: 404, code: 'asset_not_found' });
    expect((await fromPage(t, 'GET', `/v1/assets/${theirs.assets[0].id}`)).body).toMatchObject({ status: 404, code: 'asset_not_found' });
    expect((await fromPage(t, 'GET', `/v1/assets/${theirs.assets[0].id}/signed_url`)).status).toBe(404);
    expect((await fromPage(t, 'GET', '/admin/projections')).status).toBe(401);
    expect((await fromPage(t, 'GET', '/admin/accounts/' + owner.id)).status).toBe(401);
    for (const path of ['/v1/credits', '/v1/generations', '/v1/webhook_endpoints', '/v1/webhooks/default/secret']) {
      expect({ path, ...(await fromPage(t, 'GET', path)).body }).toMatchObject({ path, status: 403, code: 'token_scope_refused' });
    }
    expect((await fromPage(t, 'POST', `/v1/generations/${mine.id}/cancel`)).status).toBe(403);
    const overCap = await fromPage(t, 'POST', '/v1/generations', { model: 'local', prompt: 'two images', size: '32x32', n: 2 });
    expect(overCap.body).toMatchObject({ status: 403, code: 'token_scope_refused', price: 2, max_price: 1 });
    expect((await fromPage(t, 'GET', '/v1/models')).status).toBe(200);
  });

  it('keeps its Idempotency-Keys apart from the account’s', async () => {
    const body = { model: 'local', prompt: 'one key, two callers', size: '32x32' };
    const byKey = await call(system.gatewayUrl, 'POST', '/v1/generations', { key: owner.key, body, headers: { 'Idempotency-Key': 'shared-1' } });
    expect(byKey.status).toBe(202);
    const byToken = await fromPage(token.token, 'POST', '/v1/generations', body, { 'Idempotency-Key': 'shared-1' });
    expect(byToken.status).toBe(202);
    expect(byToken.body.id).not.toBe(byKey.body.id);
    const again = await fromPage(token.token, 'POST', '/v1/generations', body, { 'Idempotency-Key': 'shared-1' });
    expect(again.body.id).toBe(byToken.body.id);
  });

  it('reads only the one task a task token names, and an expired or forged token is 401', async () => {
    const task = await waitForSettled(owner.key, (await generate(owner.key, { model: 'local', prompt: 'shown to one user', size: '32x32' })).body.id, WAIT_MS);
    const single = await issue(owner.key, { end_user_id: 'viewer', task_id: task.id });
    expect((await fromPage(single.token, 'GET', `/v1/generations/${task.id}`)).body).toMatchObject({ id: task.id, status: 'completed' });
    expect((await fromPage(single.token, 'GET', `/v1/assets/${task.assets[0].id}/signed_url`)).status).toBe(200);
    expect((await fromPage(single.token, 'POST', '/v1/generations', { model: 'local', prompt: 'x' })).body.code).toBe('token_scope_refused');
    const another = (await api('GET', '/v1/generations?limit=5', owner.key)).body.data.find((t: Body) => t.id !== task.id);
    expect((await fromPage(single.token, 'GET', `/v1/generations/${another.id}`)).status).toBe(404);
    expect((await api('POST', '/v1/tokens', owner.key, { end_user_id: 'x', task_id: (await generate(other.key, { model: 'local', prompt: 'x' })).body.id })).status).toBe(404);

    // As darkroom would have signed it, but expired a minute ago; then the same, live, with another key.
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: 'darkroom', sub: owner.id, jti: 'expired-token', akid: 'key', uid: 'u', iat: now - 120, exp: now - 60, scope: { models: null, max_price: null, task_id: task.id } };
    const expired = jwt(TOKEN_KEY, claims);
    expect((await fromPage(expired, 'GET', `/v1/generations/${task.id}`)).body).toMatchObject({ status: 401, code: 'token_expired' });
    expect((await fromPage(jwt(TOKEN_KEY, { ...claims, exp: now + 600 }), 'GET', `/v1/generations/${task.id}`)).body).toMatchObject({ id: task.id });
    const forged = jwt('not-the-server-key-0123', { ...claims, exp: now + 600 });
    expect((await fromPage(forged, 'GET', `/v1/generations/${task.id}`)).body).toMatchObject({ status: 401, code: 'unauthorized' });
  });
});
