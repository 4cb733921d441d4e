import { join } from 'node:path';
import { call, type ApiResponse, type Body } from './support/api';
import { flows, type Account } from './support/flows';
import { startService, workspaceRoot, type ServiceProcess } from './support/processes';
import { startSystem, type System } from './support/system';

jest.setTimeout(600_000);

/** Low enough to reach in a test, high enough for the few other calls each key makes. */
const LIMIT = 5;

let system: System;
/** A second gateway on the same database: the rate limit must be shared, not per process. */
let second: ServiceProcess;
const { createAccount, eventsOf } = flows(() => system);
const secondUrl = () => `http://127.0.0.1:${second.port}`;

beforeAll(async () => {
  system = await startSystem('e2e_api_quality', { env: { RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
  const logDir = join(workspaceRoot, 'test-results/e2e-logs', `${system.env['AMQP_QUEUE_PREFIX']}-gateway-2`);
  second = await startService('gateway', system.env, logDir);
});
afterAll(async () => {
  await second?.kill();
  await system?.stop();
});

const admin = (method: string, path: string, body?: unknown) => call(system.gatewayUrl, method, path, { key: system.adminKey, body });

function expectProblem(response: ApiResponse, status: number, code: string): void {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  expect(response.body).toMatchObject({ status, code, type: `https://darkroom.dev/problems/${code}`, title: expect.any(String) });
  expect(response.body.request_id).toBe(response.headers.get('x-request-id'));
}

describe('rate limits per API key', () => {
  let account: Account;

  beforeAll(async () => {
    account = await createAccount(0);
  });

  it(`lets ${LIMIT} requests a minute through across two gateways, then answers 429 rate_limited with Retry-After`, async () => {
    const seen: ApiResponse[] = [];
    for (let i = 0; i < LIMIT; i += 1) {
      // Alternate gateways: each counts into the one shared bucket.
      seen.push(await call(i % 2 === 0 ? system.gatewayUrl : secondUrl(), 'GET', '/v1/models', { key: account.key }));
    }
    expect(seen.map((response) => response.status)).toEqual(Array(LIMIT).fill(200));
    expect(seen.map((response) => Number(response.headers.get('ratelimit-remaining')))).toEqual([4, 3, 2, 1, 0]);
    for (const response of seen) {
      expect(response.headers.get('ratelimit-limit')).toBe(String(LIMIT));
      expect(response.headers.get('ratelimit-policy')).toBe(`${LIMIT};w=60`);
      const reset = Number(response.headers.get('ratelimit-reset'));
      expect(reset).toBeGreaterThanOrEqual(1);
      expect(reset).toBeLessThanOrEqual(60);
    }

    for (const url of [system.gatewayUrl, secondUrl()]) {
      const refused = await call(url, 'POST', '/v1/generations', { key: account.key, body: { model: 'local', prompt: 'one too many' } });
      expectProblem(refused, 429, 'rate_limited');
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(refused.body.retry_after).toBe(retryAfter);
      expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    }
    // Refused requests did nothing.
    const { rows } = await system.db.sql.query(`SELECT 1 FROM events WHERE metadata->>'accountId' = $1 AND type = 'GenerationCreated'`, [
      account.id,
    ]);
    expect(rows).toHaveLength(0);
  });

  it("counts each key on its own: the account's other key, and other accounts, are not limited by it", async () => {
    const issued = await admin('POST', `/admin/accounts/${account.id}/api_keys`, { name: 'second' });
    expect(issued.status).toBe(201);
    const other = await createAccount(0);
    for (const key of [issued.body.key, other.key]) {
      const response = await call(system.gatewayUrl, 'GET', '/v1/credits', { key });
      expect(response.status).toBe(200);
      expect(response.headers.get('ratelimit-remaining')).toBe(String(LIMIT - 1));
    }
  });

  it('does not limit or count the admin API and refused keys', async () => {
    for (let i = 0; i < LIMIT + 2; i += 1) {
      const response = await admin('GET', `/admin/accounts/${account.id}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('ratelimit-limit')).toBeNull();
    }
    const unknown = await call(system.gatewayUrl, 'GET', '/v1/models', { key: 'drk_00000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    expectProblem(unknown, 401, 'unauthorized');
    expect(unknown.headers.get('ratelimit-limit')).toBeNull();
  });
});

describe('OpenAPI document and interactive docs', () => {
  let document: Body;

  beforeAll(async () => {
    const response = await call(system.gatewayUrl, 'GET', '/docs/json');
    expect(response.status).toBe(200);
    document = response.body;
  });

  it('serves Swagger UI at /docs with its assets', async () => {
    const page = await fetch(`${system.gatewayUrl}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('swagger-ui');
    // The UI's scripts come from swagger-ui-dist in node_modules: the webpack bundle must still find them.
    const script = await fetch(`${system.gatewayUrl}/docs/swagger-ui-bundle.js`);
    expect(script.status).toBe(200);
    expect((await script.text()).length).toBeGreaterThan(100_000);
    const init = await fetch(`${system.gatewayUrl}/docs/swagger-ui-init.js`);
    expect(init.status).toBe(200);
    expect(await init.text()).toContain('/v1/generations');
  });

  it('lists the main routes with their methods', () => {
    expect(document.openapi).toMatch(/^3\./);
    const routes: Record<string, string[]> = {
      '/v1/generations': ['post'],
      '/v1/generations/{id}': ['get'],
      '/v1/generations/{id}/cancel': ['post'],
      '/v1/uploads': ['post'],
      '/v1/uploads/{id}': ['get'],
      '/v1/assets/{id}': ['get'],
      '/v1/models': ['get'],
      '/v1/credits': ['get'],
      '/v1/webhooks/default/secret': ['get'],
      '/v1/webhooks/default/deliveries': ['get'],
      '/v1/assets/{id}/signed_url': ['get'],
      '/v1/tokens': ['post'],
      '/admin/accounts': ['post'],
      '/admin/accounts/{id}': ['get', 'patch'],
      '/admin/accounts/{id}/api_keys': ['get', 'post'],
      '/admin/accounts/{id}/api_keys/{keyId}': ['delete'],
      '/admin/accounts/{id}/credits': ['post'],
      '/admin/accounts/{id}/spend_caps': ['put'],
      '/v1/spend_caps': ['put'],
      '/v1/batches': ['post'],
      '/v1/batches/{id}': ['get'],
      '/v1/batches/{id}/cancel': ['post'],
      '/v1/usage/{scope}': ['get'],
      '/v1/usage/{scope}/{id}': ['get'],
    };
    for (const [path, methods] of Object.entries(routes)) {
      expect({ path, methods: Object.keys(document.paths[path] ?? {}) }).toEqual({ path, methods: expect.arrayContaining(methods) });
    }
  });

  it('describes the request bodies from the DTOs', () => {
    const schemas = document.components.schemas;
    const create = document.paths['/v1/generations'].post.requestBody.content['application/json'].schema;
    expect(create.$ref).toBe('#/components/schemas/CreateGenerationDto');
    expect(schemas.CreateGenerationDto.required).toEqual(expect.arrayContaining(['model', 'prompt']));
    expect(Object.keys(schemas.CreateGenerationDto.properties)).toEqual(
      expect.arrayContaining(['model', 'prompt', 'negative_prompt', 'size', 'aspect_ratio', 'n', 'seed', 'input_images', 'metadata', 'user', 'deadline_seconds', 'webhook']),
    );
    expect(schemas.CreateGenerationDto.properties.deadline_seconds).toMatchObject({ type: 'number', minimum: 1 });
    expect(schemas.RequestWebhookDto.required).toEqual(['url']);
    expect(Object.keys(schemas.RequestWebhookDto.properties)).toEqual(['url', 'events']);
    expect(schemas.CreateTokenDto.required).toEqual(['end_user_id']);
    expect(Object.keys(schemas.CreateTokenDto.properties)).toEqual(['end_user_id', 'expires_in', 'models', 'max_price', 'task_id']);
    expect(schemas.CreateGenerationDto.properties.prompt).toMatchObject({ type: 'string', maxLength: 4000 });
    expect(schemas.GrantCreditsDto.required).toEqual(['amount']);
    expect(Object.keys(schemas.IssueApiKeyDto.properties)).toEqual(['name']);
    expect(schemas.UpdateAccountDto.properties.retention_days).toMatchObject({ type: 'number', nullable: true });
    const upload = document.paths['/v1/uploads'].post.requestBody.content['multipart/form-data'].schema;
    expect(upload.properties.file).toMatchObject({ type: 'string', format: 'binary' });
  });

  it('marks /v1 and /admin routes as needing the bearer key, and documents problems and 429', () => {
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.components.schemas.Problem.required).toEqual(expect.arrayContaining(['type', 'status', 'code']));
    for (const [path, item] of Object.entries<Body>(document.paths)) {
      for (const operation of Object.values<Body>(item)) {
        expect(operation.tags?.length).toBeGreaterThan(0);
        // A signed URL opens an asset without a key: the key is one of two ways in there.
        const security = path === '/v1/assets/{id}' && operation.operationId?.includes('download') ? [{ bearer: [] }, {}] : [{ bearer: [] }];
        if (path.startsWith('/v1/') || path.startsWith('/admin/')) {
          expect({ path, security: operation.security }).toEqual({ path, security });
        }
        if (path.startsWith('/v1/')) expect(operation.responses['429']).toBeDefined();
      }
    }
  });
});

describe('problems and request ids', () => {
  let account: Account;

  beforeAll(async () => {
    // A fresh account: its key has its whole minute's budget.
    account = await createAccount(0);
  });

  it('echoes a caller X-Request-Id in the header, the problem body and the events the request appends', async () => {
    const requestId = `e2e-req-${Date.now()}`;
    const refused = await call(system.gatewayUrl, 'POST', '/v1/generations', {
      key: account.key,
      body: { model: 'local', prompt: 'x', size: 'big' },
      headers: { 'x-request-id': 'bad id with spaces' },
    });
    expectProblem(refused, 400, 'invalid_request');
    expect(refused.headers.get('x-request-id')).not.toBe('bad id with spaces');
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'size' })]);

    // No credits: the task is refused by the ledger later, but GenerationCreated carries the id.
    const created = await call(system.gatewayUrl, 'POST', '/v1/generations', {
      key: account.key,
      body: { model: 'local', prompt: 'with an id', size: '64x64' },
      headers: { 'x-request-id': requestId },
    });
    if (created.status === 202) {
      expect(created.headers.get('x-request-id')).toBe(requestId);
      const [first] = await eventsOf(created.body.id);
      expect(first).toMatchObject({ type: 'GenerationCreated', metadata: expect.objectContaining({ requestId }) });
    } else {
      // The fast balance check refuses a key with no credits: the problem quotes the caller's id.
      expectProblem(created, 402, 'insufficient_credits');
      expect(created.body.request_id).toBe(requestId);
    }
  });

  it('issues a fresh request id when the caller sends none, on every kind of answer', async () => {
    const ids = new Set<string>();
    for (const [method, path] of [
      ['GET', '/health/live'],
      ['GET', '/v1/models'],
      ['GET', '/nowhere'],
    ]) {
      const response = await call(system.gatewayUrl, method!, path!, { key: account.key });
      const id = response.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      ids.add(id!);
    }
    expect(ids.size).toBe(3);
  });

  it('answers an unknown route, an unknown method and a missing key with problems', async () => {
    expectProblem(await call(system.gatewayUrl, 'GET', '/v1/nothing-here', { key: account.key }), 404, 'route_not_found');
    expectProblem(await call(system.gatewayUrl, 'GET', '/nothing-here'), 404, 'route_not_found');
    expectProblem(await call(system.gatewayUrl, 'DELETE', '/v1/models', { key: account.key }), 404, 'route_not_found');
    expectProblem(await call(system.gatewayUrl, 'GET', '/v1/models'), 401, 'unauthorized');
    expectProblem(await call(system.gatewayUrl, 'GET', '/v1/models', { headers: { authorization: 'Basic abc' } }), 401, 'unauthorized');
  });

  it('answers malformed JSON with 400 malformed_request and an oversized body with 413', async () => {
    const malformed = await fetch(`${system.gatewayUrl}/admin/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${system.adminKey}`, 'content-type': 'application/json' },
      body: '{"name": "x",',
    });
    const malformedBody = await malformed.json();
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toContain('application/problem+json');
    expect(malformedBody).toMatchObject({ status: 400, code: 'malformed_request', request_id: malformed.headers.get('x-request-id') });

    const huge = await fetch(`${system.gatewayUrl}/admin/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${system.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(2_000_000) }),
    });
    expect(huge.status).toBe(413);
    expect(huge.headers.get('content-type')).toContain('application/problem+json');
    expect(await huge.json()).toMatchObject({ status: 413, code: 'payload_too_large' });
  });

  it('answers malformed ids in paths with 404 problems, never 500', async () => {
    // A fresh key: these five requests are exactly its minute's budget.
    const fresh = await createAccount(0);
    for (const path of [
      '/v1/generations/not-a-uuid',
      '/v1/generations/not-a-uuid/events',
      '/v1/assets/1%27%20OR%201=1',
      // A NUL is no id shape but a refused character: 400 invalid_request (hostile-bodies.e2e-spec).
      '/v1/uploads/not-a-uuid',
      '/v1/webhook_endpoints/not-a-uuid',
    ]) {
      const response = await call(system.gatewayUrl, 'GET', path, { key: fresh.key });
      expect({ path, status: response.status, type: response.headers.get('content-type') }).toEqual({
        path,
        status: 404,
        type: expect.stringContaining('application/problem+json'),
      });
      expect(response.body.code).toMatch(/_not_found$/);
    }
  });

  it('lists every invalid field of a request body', async () => {
    const response = await admin('POST', `/admin/accounts/${account.id}/credits`, { amount: -1, reason: 7, extra: true });
    expectProblem(response, 400, 'invalid_request');
    const fields = (response.body.errors as { field: string }[]).map((error) => error.field).sort();
    expect(new Set(fields)).toEqual(new Set(['amount', 'extra', 'reason']));
    // The message itself names the refused fields and why, not only their count.
    expect(response.body.detail).toMatch(/^Invalid fields (amount|extra|reason), (amount|extra|reason), (amount|extra|reason): /);
    expect(response.body.detail).toContain('property extra should not exist');
  });
});
