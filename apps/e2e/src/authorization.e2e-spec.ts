import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import sharp from 'sharp';
import { call, eventually, type ApiResponse, type Body } from './support/api';
import { flows, type Account } from './support/flows';
import { freePort } from './support/processes';
import { startSystem, type System } from './support/system';

jest.setTimeout(600_000);

/**
 * Every route of the gateway, called as its owner, as another account, without a key, with
 * a revoked key, with the wrong kind of credential (the admin key on /v1, an API key on
 * /admin), checking each status. The table below is the matrix: a route the OpenAPI
 * document lists without a row here fails the test, so new routes get a row.
 */

/**
 * - `object`: the path names one of the owner's resources: another account gets a 404.
 * - `own`: the caller's own collection (list, create): another account gets its own answer.
 * - `admin`: the admin key only.
 * - `public`: no credential involved (probes, provider callbacks verified by signature).
 */
type Scope = 'object' | 'own' | 'admin' | 'public';

interface Fixtures {
  readonly owner: Account;
  readonly taskId: string;
  readonly batchId: string;
  readonly assetId: string;
  readonly uploadId: string;
  readonly endpointId: string;
  /** An endpoint only the DELETE row removes. */
  readonly doomedEndpointId: string;
  readonly deliveryId: string;
  readonly receiverUrl: string;
  /** The account the admin rows work on, and a key of it the DELETE row revokes. */
  readonly target: Account;
  readonly targetSpareKeyId: string;
  readonly png: Buffer;
}

interface Row {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The route as the OpenAPI document writes it. */
  readonly route: string;
  readonly scope: Scope;
  /** Status for the owner (`object`, `own`), the admin key (`admin`) or anyone (`public`). */
  readonly allowed: number;
  /** Problem code expected with `allowed`, where the allowed answer is itself a refusal. */
  readonly allowedCode?: string;
  readonly params?: (f: Fixtures) => Record<string, string>;
  readonly body?: (f: Fixtures) => unknown;
  readonly form?: (f: Fixtures) => FormData;
}

const taskParams = (f: Fixtures) => ({ id: f.taskId });
const endpointParams = (f: Fixtures) => ({ id: f.endpointId });
const imageForm = (field: string, extra: Record<string, string> = {}) => (f: Fixtures) => {
  const form = new FormData();
  form.append(field, new Blob([new Uint8Array(f.png)], { type: 'image/png' }), 'in.png');
  for (const [name, value] of Object.entries(extra)) form.append(name, value);
  return form;
};

/** Rows run in this order; a row that destroys something comes after every row that reads it. */
const MATRIX: readonly Row[] = [
  // Generations
  { method: 'GET', route: '/v1/generations/{id}', scope: 'object', allowed: 200, params: taskParams },
  { method: 'GET', route: '/v1/generations/{id}/events', scope: 'object', allowed: 200, params: taskParams },
  { method: 'GET', route: '/v1/generations/{id}/stream', scope: 'object', allowed: 200, params: taskParams },
  {
    method: 'POST',
    route: '/v1/generations/{id}/cancel',
    scope: 'object',
    allowed: 409,
    allowedCode: 'generation_not_cancelable',
    params: taskParams,
  },
  { method: 'GET', route: '/v1/generations', scope: 'own', allowed: 200 },
  {
    method: 'POST',
    route: '/v1/generations',
    scope: 'own',
    allowed: 202,
    body: () => ({ model: 'local', prompt: 'matrix', size: '64x64' }),
  },
  // Batches
  {
    method: 'POST',
    route: '/v1/batches',
    scope: 'own',
    allowed: 202,
    body: () => ({ items: [{ model: 'local', prompt: 'matrix batch', size: '64x64' }] }),
  },
  { method: 'GET', route: '/v1/batches/{id}', scope: 'object', allowed: 200, params: (f) => ({ id: f.batchId }) },
  { method: 'POST', route: '/v1/batches/{id}/cancel', scope: 'object', allowed: 200, params: (f) => ({ id: f.batchId }) },
  // Assets and uploads
  { method: 'GET', route: '/v1/assets/{id}', scope: 'object', allowed: 302, params: (f) => ({ id: f.assetId }) },
  { method: 'GET', route: '/v1/assets/{id}/content', scope: 'object', allowed: 200, params: (f) => ({ id: f.assetId }) },
  { method: 'GET', route: '/v1/assets/{id}/signed_url', scope: 'object', allowed: 200, params: (f) => ({ id: f.assetId }) },
  { method: 'GET', route: '/v1/uploads/{id}', scope: 'object', allowed: 200, params: (f) => ({ id: f.uploadId }) },
  { method: 'POST', route: '/v1/uploads', scope: 'own', allowed: 201, form: imageForm('file') },
  // Models and credits
  { method: 'GET', route: '/v1/models', scope: 'own', allowed: 200 },
  { method: 'GET', route: '/v1/credits', scope: 'own', allowed: 200 },
  { method: 'GET', route: '/v1/credits/entries', scope: 'own', allowed: 200 },
  // Spend caps and usage
  {
    method: 'PUT',
    route: '/v1/spend_caps',
    scope: 'own',
    allowed: 200,
    body: () => ({ scope: 'user', id: 'matrix-user', period: 'day', limit: 1000 }),
  },
  { method: 'GET', route: '/v1/usage/{scope}', scope: 'own', allowed: 200, params: () => ({ scope: 'users' }) },
  { method: 'GET', route: '/v1/usage/{scope}/{id}', scope: 'own', allowed: 200, params: () => ({ scope: 'users', id: 'matrix-user' }) },
  // Outbound webhook endpoints
  // Per-request webhooks and scoped tokens
  { method: 'GET', route: '/v1/webhooks/default/secret', scope: 'own', allowed: 200 },
  { method: 'GET', route: '/v1/webhooks/default/deliveries', scope: 'own', allowed: 200 },
  { method: 'POST', route: '/v1/tokens', scope: 'own', allowed: 201, body: () => ({ end_user_id: 'matrix' }) },
  { method: 'GET', route: '/v1/webhook_endpoints', scope: 'own', allowed: 200 },
  { method: 'POST', route: '/v1/webhook_endpoints', scope: 'own', allowed: 201, body: (f) => ({ url: `${f.receiverUrl}/matrix` }) },
  { method: 'GET', route: '/v1/webhook_endpoints/{id}', scope: 'object', allowed: 200, params: endpointParams },
  { method: 'GET', route: '/v1/webhook_endpoints/{id}/secret', scope: 'object', allowed: 200, params: endpointParams },
  { method: 'POST', route: '/v1/webhook_endpoints/{id}/enable', scope: 'object', allowed: 200, params: endpointParams },
  { method: 'GET', route: '/v1/webhook_endpoints/{id}/deliveries', scope: 'object', allowed: 200, params: endpointParams },
  {
    method: 'POST',
    route: '/v1/webhook_endpoints/{id}/deliveries/{deliveryId}/redeliver',
    scope: 'object',
    allowed: 202,
    params: (f) => ({ id: f.endpointId, deliveryId: f.deliveryId }),
  },
  { method: 'DELETE', route: '/v1/webhook_endpoints/{id}', scope: 'object', allowed: 204, params: (f) => ({ id: f.doomedEndpointId }) },
  // OpenAI-compatible façade
  {
    method: 'POST',
    route: '/v1/images/generations',
    scope: 'own',
    allowed: 200,
    body: () => ({ model: 'local', prompt: 'matrix', size: '64x64', response_format: 'b64_json' }),
  },
  {
    method: 'POST',
    route: '/v1/images/edits',
    scope: 'own',
    allowed: 200,
    form: imageForm('image', { model: 'local', prompt: 'matrix edit', response_format: 'b64_json' }),
  },
  // Admin: accounts, keys, credits
  { method: 'POST', route: '/admin/accounts', scope: 'admin', allowed: 201, body: () => ({ name: 'matrix' }) },
  { method: 'GET', route: '/admin/accounts/{id}', scope: 'admin', allowed: 200, params: (f) => ({ id: f.target.id }) },
  {
    method: 'PATCH',
    route: '/admin/accounts/{id}',
    scope: 'admin',
    allowed: 200,
    params: (f) => ({ id: f.target.id }),
    body: () => ({ retention_days: null }),
  },
  {
    method: 'POST',
    route: '/admin/accounts/{id}/api_keys',
    scope: 'admin',
    allowed: 201,
    params: (f) => ({ id: f.target.id }),
    body: () => ({ name: 'matrix' }),
  },
  { method: 'GET', route: '/admin/accounts/{id}/api_keys', scope: 'admin', allowed: 200, params: (f) => ({ id: f.target.id }) },
  {
    method: 'DELETE',
    route: '/admin/accounts/{id}/api_keys/{keyId}',
    scope: 'admin',
    allowed: 200,
    params: (f) => ({ id: f.target.id, keyId: f.targetSpareKeyId }),
  },
  {
    method: 'POST',
    route: '/admin/accounts/{id}/credits',
    scope: 'admin',
    allowed: 201,
    params: (f) => ({ id: f.target.id }),
    body: () => ({ amount: 1, reason: 'matrix' }),
  },
  {
    method: 'PUT',
    route: '/admin/accounts/{id}/spend_caps',
    scope: 'admin',
    allowed: 200,
    params: (f) => ({ id: f.target.id }),
    body: () => ({ scope: 'user', id: 'matrix-user', period: 'month', limit: 1000 }),
  },
  // Admin: dead letters and projections
  { method: 'GET', route: '/admin/dead-letters', scope: 'admin', allowed: 200 },
  {
    method: 'POST',
    route: '/admin/dead-letters/{id}/redrive',
    scope: 'admin',
    allowed: 404,
    allowedCode: 'dead_letter_not_found',
    params: () => ({ id: `ledger:${randomUUID()}` }),
  },
  { method: 'POST', route: '/admin/dead-letters/redrive', scope: 'admin', allowed: 200, body: () => ({}) },
  { method: 'GET', route: '/admin/projections', scope: 'admin', allowed: 200 },
  { method: 'GET', route: '/admin/projections/{name}', scope: 'admin', allowed: 200, params: () => ({ name: 'generations' }) },
  {
    method: 'POST',
    route: '/admin/projections/{name}/rebuild',
    scope: 'admin',
    allowed: 404,
    allowedCode: 'projection_not_found',
    params: () => ({ name: 'no_such_projection' }),
  },
  {
    method: 'GET',
    route: '/admin/projections/{name}/rebuilds/{id}',
    scope: 'admin',
    allowed: 404,
    allowedCode: 'rebuild_not_found',
    params: () => ({ name: 'generations', id: randomUUID() }),
  },
  {
    method: 'GET',
    route: '/admin/projections/{name}/checksum',
    scope: 'admin',
    allowed: 404,
    allowedCode: 'projection_not_found',
    params: () => ({ name: 'no_such_projection' }),
  },
  // Public
  { method: 'GET', route: '/health/live', scope: 'public', allowed: 200 },
  { method: 'GET', route: '/health/ready', scope: 'public', allowed: 200 },
  { method: 'GET', route: '/metrics', scope: 'public', allowed: 200 },
  {
    method: 'POST',
    route: '/webhooks/providers/{provider}',
    scope: 'public',
    allowed: 404,
    allowedCode: 'unknown_provider',
    params: () => ({ provider: 'nobody' }),
    body: () => ({}),
  },
];

/** Who calls, and what each expects per scope. */
type Caller = 'none' | 'revoked' | 'wrongCredential' | 'other' | 'rightful';

function expectedStatus(row: Row, caller: Caller): number | undefined {
  if (row.scope === 'public') return caller === 'none' ? row.allowed : undefined;
  if (caller === 'none' || caller === 'revoked' || caller === 'wrongCredential') return 401;
  if (row.scope === 'admin') return caller === 'rightful' ? row.allowed : undefined;
  if (caller === 'other') return row.scope === 'object' ? 404 : row.allowed;
  return row.allowed;
}

let system: System;
let receiver: Server;
let fixtures: Fixtures;
/** Another account, with credits and a key. */
let other: Account;
/** The owner's second key, revoked before the matrix runs. */
let revokedKey: string;
const { createAccount, generate, waitForSettled, upload } = flows(() => system);

const admin = (method: string, path: string, body?: unknown) => call(system.gatewayUrl, method, path, { key: system.adminKey, body });

async function startReceiver(): Promise<string> {
  const port = await freePort();
  receiver = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => receiver.listen(port, '127.0.0.1', resolve));
  return `http://127.0.0.1:${port}`;
}

beforeAll(async () => {
  const receiverUrl = await startReceiver();
  system = await startSystem('e2e_authorization', {
    env: { OUTBOUND_WEBHOOK_HTTP_HOSTS: receiverUrl.replace('http://', ''), OPENAI_COMPAT_DEFAULT_MODEL: 'local' },
  });
  const [owner, otherAccount, target] = await Promise.all([createAccount(20), createAccount(20), createAccount(0)]);
  other = otherAccount;
  const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 200, g: 40, b: 40 } } })
    .png()
    .toBuffer();

  const endpoint = await call(system.gatewayUrl, 'POST', '/v1/webhook_endpoints', { key: owner.key, body: { url: `${receiverUrl}/owner` } });
  expect(endpoint.status).toBe(201);
  const doomed = await call(system.gatewayUrl, 'POST', '/v1/webhook_endpoints', { key: owner.key, body: { url: `${receiverUrl}/doomed` } });
  expect(doomed.status).toBe(201);
  const uploaded = await upload(owner.key, png);
  expect(uploaded.status).toBe(201);
  const created = await generate(owner.key, { model: 'local', prompt: "the owner's secret picture", size: '64x64', seed: 7 });
  expect(created.status).toBe(202);
  const task = await waitForSettled(owner.key, created.body.id);
  expect(task.status).toBe('completed');
  // The completed task was delivered to the owner's endpoint: that delivery is redelivered below.
  const deliveryId = await eventually(async () => {
    const listed = await call(system.gatewayUrl, 'GET', `/v1/webhook_endpoints/${endpoint.body.id}/deliveries`, { key: owner.key });
    return listed.body?.data?.[0]?.id as string | undefined;
  }, 60_000, 'a delivery to the owner endpoint');

  const batch = await call(system.gatewayUrl, 'POST', '/v1/batches', {
    key: owner.key,
    body: { items: [{ model: 'local', prompt: "the owner's secret batch", size: '64x64', seed: 8 }] },
  });
  expect(batch.status).toBe(202);

  const spare = await admin('POST', `/admin/accounts/${target.id}/api_keys`, { name: 'spare' });
  expect(spare.status).toBe(201);
  const second = await admin('POST', `/admin/accounts/${owner.id}/api_keys`, { name: 'to revoke' });
  expect(second.status).toBe(201);
  revokedKey = second.body.key;
  expect((await call(system.gatewayUrl, 'GET', '/v1/models', { key: revokedKey })).status).toBe(200);
  expect((await admin('DELETE', `/admin/accounts/${owner.id}/api_keys/${second.body.id}`)).status).toBe(200);

  fixtures = {
    owner,
    taskId: task.id,
    batchId: batch.body.id,
    assetId: task.assets[0].id,
    uploadId: uploaded.body.id,
    endpointId: endpoint.body.id,
    doomedEndpointId: doomed.body.id,
    deliveryId,
    receiverUrl,
    target,
    targetSpareKeyId: spare.body.id,
    png,
  };
});

afterAll(async () => {
  await system?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

const fill = (route: string, params: Record<string, string>) =>
  route.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no value for {${name}} in ${route}`);
    return encodeURIComponent(value);
  });

/**
 * One call of a row. A 5xx is never an authorization answer: on this shared machine it is
 * PostgreSQL out of connections or the like, so it is tried again (twice) before it counts.
 */
async function send(row: Row, key: string | undefined): Promise<ApiResponse> {
  let response = await sendOnce(row, key);
  for (let retry = 0; retry < 2 && response.status >= 500; retry += 1) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    response = await sendOnce(row, key);
  }
  return response;
}

async function sendOnce(row: Row, key: string | undefined): Promise<ApiResponse> {
  const path = fill(row.route, row.params?.(fixtures) ?? {});
  if (!row.form) return call(system.gatewayUrl, row.method, path, { ...(key ? { key } : {}), body: row.body?.(fixtures) });
  const response = await fetch(`${system.gatewayUrl}${path}`, {
    method: row.method,
    headers: key ? { authorization: `Bearer ${key}` } : {},
    body: row.form(fixtures),
    redirect: 'manual',
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, headers: response.headers, bytes, body: type.includes('json') ? JSON.parse(bytes.toString()) : undefined };
}

function keyOf(row: Row, caller: Caller): string | undefined {
  switch (caller) {
    case 'none':
      return undefined;
    case 'revoked':
      return revokedKey;
    case 'wrongCredential':
      return row.scope === 'admin' ? fixtures.owner.key : system.adminKey;
    case 'other':
      return other.key;
    case 'rightful':
      return row.scope === 'admin' ? system.adminKey : fixtures.owner.key;
  }
}

const CALLERS: readonly Caller[] = ['none', 'revoked', 'wrongCredential', 'other', 'rightful'];

describe('authorization matrix', () => {
  it('has a row for every route of the OpenAPI document, and every row is a documented route', async () => {
    const document = (await call(system.gatewayUrl, 'GET', '/docs/json')).body as Body;
    const documented = Object.entries<Body>(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const rows = MATRIX.map((row) => `${row.method} ${row.route}`);
    expect({ missingRows: documented.filter((route) => !rows.includes(route)) }).toEqual({ missingRows: [] });
    expect({ undocumentedRows: rows.filter((route) => !documented.includes(route)) }).toEqual({ undocumentedRows: [] });
    expect(new Set(rows).size).toBe(rows.length);
  });

  it('answers every route with the expected status for every caller', async () => {
    const mismatches: string[] = [];
    for (const row of MATRIX) {
      for (const caller of CALLERS) {
        const expected = expectedStatus(row, caller);
        if (expected === undefined) continue;
        const response = await send(row, keyOf(row, caller));
        const label = `${row.method} ${row.route} as ${caller}`;
        if (response.status !== expected) {
          mismatches.push(`${label}: ${response.status} (expected ${expected}) ${response.bytes.toString('utf8').slice(0, 300)}`);
          continue;
        }
        if (expected === 401 && response.body?.code !== undefined && response.body.code !== 'unauthorized') {
          mismatches.push(`${label}: code ${response.body.code} (expected unauthorized)`);
        }
        if (caller === 'rightful' && row.allowedCode && response.body?.code !== row.allowedCode) {
          mismatches.push(`${label}: code ${response.body?.code} (expected ${row.allowedCode})`);
        }
        if (caller === 'other' && row.scope === 'object' && response.bytes.toString('utf8').includes("owner's secret")) {
          mismatches.push(`${label}: the 404 shows the owner's data`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe('accounts and API keys', () => {
  it('issues keys shown once, lists them without the key, and refuses a revoked key at once on every route', async () => {
    const account = await createAccount(0);
    const issued = await admin('POST', `/admin/accounts/${account.id}/api_keys`, { name: 'ci' });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ object: 'api_key', account_id: account.id, name: 'ci', revoked_at: null });
    expect(issued.body.key).toMatch(new RegExp(`^${issued.body.prefix}_`));

    const unnamed = await admin('POST', `/admin/accounts/${account.id}/api_keys`);
    expect(unnamed.status).toBe(201);
    expect(unnamed.body.name).toBeNull();

    expect((await call(system.gatewayUrl, 'GET', '/v1/credits', { key: issued.body.key })).status).toBe(200);
    const listed = await admin('GET', `/admin/accounts/${account.id}/api_keys`);
    expect(listed.status).toBe(200);
    expect(listed.body.data).toHaveLength(3);
    const text = JSON.stringify(listed.body);
    // The secret is everything after `drk_<8 hex>_` (base64url, so it may itself hold underscores).
    for (const key of [account.key, issued.body.key, unnamed.body.key]) expect(text).not.toContain(key.slice('drk_12345678_'.length));
    for (const key of listed.body.data) {
      expect(Object.keys(key).sort()).toEqual(['account_id', 'created_at', 'id', 'last_used_at', 'name', 'object', 'prefix', 'revoked_at']);
    }
    const used = listed.body.data.find((key: Body) => key.id === issued.body.id);
    expect(used.last_used_at).not.toBeNull();

    const revoked = await admin('DELETE', `/admin/accounts/${account.id}/api_keys/${issued.body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).not.toBeNull();
    for (const path of ['/v1/credits', '/v1/models', '/v1/generations']) {
      const refused = await call(system.gatewayUrl, 'GET', path, { key: issued.body.key });
      expect(refused.status).toBe(401);
      expect(refused.body).toMatchObject({ code: 'unauthorized' });
    }
    // The account's other keys keep working; revoking again keeps the first time.
    expect((await call(system.gatewayUrl, 'GET', '/v1/credits', { key: unnamed.body.key })).status).toBe(200);
    const again = await admin('DELETE', `/admin/accounts/${account.id}/api_keys/${issued.body.id}`);
    expect(again.body.revoked_at).toBe(revoked.body.revoked_at);

    const looked = await admin('GET', `/admin/accounts/${account.id}`);
    expect(looked.body).toMatchObject({ id: account.id, object: 'account', name: 'e2e', api_key_count: 2, retention_days: null });
    expect(looked.body.credits).toEqual({ available: 0, reserved: 0, captured: 0, granted: 0 });
  });

  it('shows the balance from credit_balances', async () => {
    const account = await createAccount(7);
    const looked = await admin('GET', `/admin/accounts/${account.id}`);
    expect(looked.body.credits).toMatchObject({ available: 7, granted: 7 });
  });

  it('answers unknown and malformed ids with 404, never 500', async () => {
    const account = await createAccount(0);
    const otherKeys = await admin('GET', `/admin/accounts/${other.id}/api_keys`);
    const cases: [string, string, string][] = [
      ['GET', `/admin/accounts/${randomUUID()}`, 'account_not_found'],
      ['GET', '/admin/accounts/not-a-uuid', 'account_not_found'],
      ['GET', "/admin/accounts/1'%20OR%201=1", 'account_not_found'],
      ['PATCH', '/admin/accounts/nope', 'account_not_found'],
      ['POST', `/admin/accounts/${randomUUID()}/api_keys`, 'account_not_found'],
      ['GET', '/admin/accounts/nope/api_keys', 'account_not_found'],
      ['DELETE', `/admin/accounts/${account.id}/api_keys/not-a-uuid`, 'api_key_not_found'],
      ['DELETE', `/admin/accounts/${account.id}/api_keys/${randomUUID()}`, 'api_key_not_found'],
      // Another account's key through this account's path: not found, and not revoked.
      ['DELETE', `/admin/accounts/${account.id}/api_keys/${otherKeys.body.data[0].id}`, 'api_key_not_found'],
      ['POST', '/admin/accounts/nope/credits', 'account_not_found'],
    ];
    for (const [method, path, code] of cases) {
      const body = method === 'PATCH' ? { retention_days: 1 } : path.endsWith('/credits') ? { amount: 1 } : undefined;
      const response = await admin(method, path, body);
      expect({ method, path, status: response.status, code: response.body?.code }).toEqual({ method, path, status: 404, code });
    }
    expect((await call(system.gatewayUrl, 'GET', '/v1/credits', { key: other.key })).status).toBe(200);
  });

  it('validates the key name', async () => {
    const account = await createAccount(0);
    const response = await admin('POST', `/admin/accounts/${account.id}/api_keys`, { name: '', extra: 1 });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid_request');
    expect(response.body.errors.map((error: { field: string }) => error.field).sort()).toEqual(['extra', 'name']);
  });
});
