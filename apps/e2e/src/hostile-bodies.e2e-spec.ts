import { randomUUID } from 'node:crypto';
import { call, type Body } from './support/api';
import { flows, type Account } from './support/flows';
import { rawRequest, repeated, type RawAnswer } from './support/raw-http';
import { startSystem, type System } from './support/system';

jest.setTimeout(300_000);

/** The bar of issue 14: whatever the body, an answer comes within this, and it is never a 5xx. */
const ANSWER_WITHIN_MS = 5_000;
const MB = 1_000_000;
const NUL = 'a\u0000b';
const LONE_SURROGATE = '\ud800';

let system: System;
let account: Account;
let document: Body;
const { createAccount } = flows(() => system);
/** Every answer the test got: none may be a 5xx. */
const answers: { route: string; status: number }[] = [];
/** A body that starts and then sends nothing: begun first, so its wait overlaps the other tests. */
let stalled: Promise<RawAnswer | Error>;

beforeAll(async () => {
  system = await startSystem('e2e_hostile_bodies');
  account = await createAccount(1);
  stalled = rawRequest(system.gatewayUrl, {
    method: 'POST',
    path: '/v1/generations',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${account.key}` },
    chunks: [Buffer.from('{"model":"local","prompt":')],
    end: false,
    timeoutMs: 30_000,
  }).catch((error: Error) => error);
  const docs = await call(system.gatewayUrl, 'GET', '/docs/json');
  expect(docs.status).toBe(200);
  document = docs.body;
});
afterAll(async () => {
  await system?.stop();
});

interface Route {
  readonly method: string;
  readonly template: string;
  readonly path: string;
  readonly key?: string;
  /** The JSON request body's schema, when the document gives one. */
  readonly schema?: Body;
  /** Query parameters the document lists. */
  readonly query: readonly string[];
}

const keyFor = (path: string) => (path.startsWith('/admin/') ? system.adminKey : path.startsWith('/v1/') ? account.key : undefined);

/** A value of the right shape for each path parameter: ids are UUIDs (unknown ones are simply 404). */
const sampleParam = (name: string) => ({ name: 'generations', provider: 'replicate' })[name] ?? randomUUID();

function operations(): Route[] {
  const routes: Route[] = [];
  for (const [template, item] of Object.entries<Body>(document.paths)) {
    for (const [method, operation] of Object.entries<Body>(item)) {
      const parameters: Body[] = operation.parameters ?? [];
      routes.push({
        method: method.toUpperCase(),
        template,
        path: template.replace(/\{(\w+)\}/g, (_, name: string) => sampleParam(name)),
        key: keyFor(template),
        schema: operation.requestBody?.content?.['application/json']?.schema,
        query: parameters.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name),
      });
    }
  }
  return routes;
}

/** Every JSON route of the document, and the provider callback (a raw body, verified by signature). */
const jsonRoutes = () => operations().filter((route) => route.schema !== undefined);
const providerCallback = (): Route => operations().find((route) => route.template === '/webhooks/providers/{provider}')!;
const name = (route: Route) => `${route.method} ${route.template}`;

const resolve = (schema: Body): Body => (schema?.$ref ? document.components.schemas[schema.$ref.split('/').pop()] : schema);

/**
 * A body of the schema's shape with `poison` in every string (enums included, and the values
 * of free-form objects), and the path of each of those fields as the problem names it.
 */
function poisoned(schema: Body, poison: string, path = ''): { value: unknown; fields: string[] } {
  const resolved = resolve(schema.allOf?.[0] ?? schema.oneOf?.[0] ?? schema);
  if (resolved.type === 'string') return { value: poison, fields: [path] };
  if (resolved.type === 'number' || resolved.type === 'integer') return { value: 1, fields: [] };
  if (resolved.type === 'boolean') return { value: true, fields: [] };
  if (resolved.type === 'array') {
    const item = poisoned(resolved.items ?? { type: 'string' }, poison, `${path}.0`.replace(/^\./, ''));
    return { value: [item.value], fields: item.fields };
  }
  const value: Record<string, unknown> = {};
  const fields: string[] = [];
  const properties = Object.entries<Body>(resolved.properties ?? {});
  // A free-form object (metadata), or one with no string of its own: a string property of our own.
  if (properties.length === 0 || !properties.some(([, property]) => resolve(property).type === 'string')) {
    properties.push(['note', { type: 'string' }]);
  }
  for (const [key, property] of properties) {
    const child = poisoned(property, poison, path ? `${path}.${key}` : key);
    value[key] = child.value;
    fields.push(...child.fields);
  }
  return { value, fields };
}

function headers(route: Route, extra: Record<string, string> = {}): Record<string, string> {
  return { 'content-type': 'application/json', ...(route.key ? { authorization: `Bearer ${route.key}` } : {}), ...extra };
}

/** A string body goes with its Content-Length; chunks without one go chunked (Node frames only POST, PUT, PATCH so). */
async function send(
  route: Route,
  body: string | Iterable<Buffer> | undefined,
  options: { headers?: Record<string, string>; end?: boolean; path?: string } = {},
) {
  const chunks = typeof body === 'string' ? [Buffer.from(body, 'utf8')] : (body ?? []);
  const length: Record<string, string> = typeof body === 'string' ? { 'content-length': String(Buffer.byteLength(body)) } : {};
  const answer = await rawRequest(system.gatewayUrl, {
    method: route.method,
    path: options.path ?? route.path,
    headers: headers(route, { ...length, ...options.headers }),
    chunks,
    end: options.end,
  });
  answers.push({ route: name(route), status: answer.status });
  return answer;
}

function expectProblem(answer: RawAnswer, status: number, code: string): void {
  expect({ status: answer.status, code: answer.body?.code }).toEqual({ status, code });
  expect(answer.headers['content-type']).toContain('application/problem+json');
  expect(answer.ms).toBeLessThan(ANSWER_WITHIN_MS);
}

/** A JSON string member's worth of 'A's: the body a data URI makes. */
const FILLER = Buffer.alloc(64 * 1024, 'A');
const bodyOf = (total: number) => repeated(FILLER, total, Buffer.from('{"output":"'));

describe('the document', () => {
  it('has JSON routes to try, each documenting its 413, and the provider callback among the routes', () => {
    expect(jsonRoutes().map(name)).toEqual(expect.arrayContaining(['POST /v1/generations', 'POST /admin/accounts', 'POST /v1/images/generations']));
    expect(providerCallback()).toBeDefined();
    for (const route of jsonRoutes()) {
      expect({ route: name(route), documented: document.paths[route.template][route.method.toLowerCase()].responses['413']?.description }).toEqual({
        route: name(route),
        documented: expect.stringContaining('payload_too_large'),
      });
    }
  });
});

describe('nesting and width, refused before validation walks them', () => {
  it('answers 10,000-deep nesting with 400 body_too_complex on every JSON route', async () => {
    const deepObject = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    const deepArray = '['.repeat(10_000) + ']'.repeat(10_000);
    for (const route of [...jsonRoutes(), providerCallback()]) {
      for (const body of [deepObject, deepArray]) {
        const answer = await send(route, body);
        expect({ route: name(route), code: answer.body?.code }).toEqual({ route: name(route), code: 'body_too_complex' });
        expectProblem(answer, 400, 'body_too_complex');
        expect(answer.body).toMatchObject({ max_depth: 32 });
      }
    }
  });

  it('answers more properties than a route takes (1,000; a batch 40,000) with 400 body_too_complex', async () => {
    const wide = (keys: number) => JSON.stringify(Object.fromEntries(Array.from({ length: keys + 1 }, (_, i) => [`k${i}`, 0])));
    for (const route of jsonRoutes()) expectProblem(await send(route, wide(name(route) === 'POST /v1/batches' ? 40_000 : 1_000)), 400, 'body_too_complex');
  });
});

describe('NUL and unpaired surrogates', () => {
  it.each([
    ['NUL', NUL],
    ['a lone surrogate', LONE_SURROGATE],
  ])('refuses %s in every string field of every JSON body as 400 invalid_request naming each field', async (_, poison) => {
    for (const route of jsonRoutes()) {
      const { value, fields } = poisoned(route.schema, poison);
      // JSON.stringify escapes both (\u0000, \ud800): the bytes on the wire are valid UTF-8.
      const answer = await send(route, JSON.stringify(value));
      expect({ route: name(route), code: answer.body?.code }).toEqual({ route: name(route), code: 'invalid_request' });
      expectProblem(answer, 400, 'invalid_request');
      const named = answer.body.errors.map((error: { field: string }) => error.field);
      expect({ route: name(route), named: named.sort() }).toEqual({ route: name(route), named: [...fields].sort() });
    }
  });

  it('refuses a NUL in every path parameter as 400 invalid_request naming it', async () => {
    for (const route of operations().filter((candidate) => candidate.template.includes('{'))) {
      for (const [, param] of route.template.matchAll(/\{(\w+)\}/g)) {
        const path = route.template.replace(/\{(\w+)\}/g, (_, other: string) => (other === param ? 'id%00' : sampleParam(other)));
        const answer = await send(route, route.schema ? '{}' : undefined, { path });
        expect({ route: name(route), param, code: answer.body?.code }).toEqual({ route: name(route), param, code: 'invalid_request' });
        expect(answer.body.errors).toEqual([{ field: param, message: `${param} must not contain NUL characters or unpaired surrogates` }]);
      }
    }
  });

  it('refuses a path parameter that is not percent-encoded UTF-8 (a lone surrogate) as 400 malformed_request', async () => {
    for (const route of operations().filter((candidate) => candidate.template.includes('{'))) {
      const path = route.template.replace(/\{(\w+)\}/, 'x%ED%A0%80').replace(/\{(\w+)\}/g, (_, other: string) => sampleParam(other));
      expectProblem(await send(route, route.schema ? '{}' : undefined, { path }), 400, 'malformed_request');
    }
  });

  it('refuses a NUL in every query parameter as 400 invalid_request naming it', async () => {
    for (const route of operations().filter((candidate) => candidate.query.length > 0)) {
      for (const param of route.query) {
        const answer = await send(route, undefined, { path: `${route.path}?${param}=a%00b` });
        expect({ route: name(route), param, code: answer.body?.code }).toEqual({ route: name(route), param, code: 'invalid_request' });
        expect(answer.body.errors).toEqual([{ field: param, message: `${param} must not contain NUL characters or unpaired surrogates` }]);
      }
    }
  });
});

describe('bodies over the limit, answered 413 at once', () => {
  it('refuses a declared 10 MB and 100 MB body from the header on every JSON route, closing the connection', async () => {
    for (const route of jsonRoutes()) {
      for (const size of [10 * MB, 100 * MB]) {
        const answer = await send(route, bodyOf(size), { headers: { 'content-length': String(size) } });
        expect({ route: name(route), size, status: answer.status }).toEqual({ route: name(route), size, status: 413 });
        expectProblem(answer, 413, 'payload_too_large');
        expect(answer.body.limit_bytes).toBe(name(route) === 'POST /v1/batches' ? 4 * 1024 * 1024 : 100 * 1024);
        expect(answer.headers.connection).toBe('close');
      }
    }
  });

  it('refuses a chunked body that never ends as soon as it passes the limit, on every JSON route and the provider callback', async () => {
    for (const route of [...jsonRoutes(), providerCallback()]) {
      // No Content-Length, no last chunk: only the bytes counted can stop it.
      const answer = await send(route, bodyOf(Number.POSITIVE_INFINITY), { end: false });
      expect({ route: name(route), status: answer.status }).toEqual({ route: name(route), status: 413 });
      expectProblem(answer, 413, 'payload_too_large');
      expect(answer.headers.connection).toBe('close');
    }
  });

  it('takes a 10 MB provider callback (inline results) but refuses 100 MB from the header', async () => {
    const route = providerCallback();
    const tenMb = await send(route, [...bodyOf(10 * MB - 2), Buffer.from('"}')]);
    // Read and parsed; no Replicate configured here, so the provider is unknown.
    expectProblem(tenMb, 404, 'unknown_provider');
    const hundredMb = await send(route, bodyOf(100 * MB), { headers: { 'content-length': String(100 * MB) } });
    expectProblem(hundredMb, 413, 'payload_too_large');
    expect(hundredMb.body.limit_bytes).toBe(10 * 1024 * 1024);
  });
});

describe('a body that stops arriving', () => {
  it('is answered 408 request_timeout after 10 s of silence, and its connection closed', async () => {
    const answer = await stalled;
    if (answer instanceof Error) throw answer;
    answers.push({ route: 'POST /v1/generations (stalled)', status: answer.status });
    expect({ status: answer.status, code: answer.body?.code }).toEqual({ status: 408, code: 'request_timeout' });
    expect(answer.ms).toBeGreaterThanOrEqual(9_000);
    expect(answer.headers.connection).toBe('close');
  });
});

describe('afterwards', () => {
  it('never answered with a 5xx', () => {
    expect(answers.length).toBeGreaterThan(50);
    expect(answers.filter((answer) => answer.status >= 500)).toEqual([]);
  });

  it('still serves a valid request on every kind of route, without X-Powered-By', async () => {
    const created = await call(system.gatewayUrl, 'POST', '/v1/generations', {
      key: account.key,
      body: { model: 'local', prompt: 'a lighthouse at dusk', metadata: { note: 'ü 🌒' } },
    });
    expect(created.status).toBe(202);
    expect(created.headers.get('x-powered-by')).toBeNull();
    const other = await call(system.gatewayUrl, 'POST', '/admin/accounts', { key: system.adminKey, body: { name: 'after 🌒' } });
    expect(other.status).toBe(201);
    const refused = await call(system.gatewayUrl, 'GET', '/v1/nothing-here', { key: account.key });
    expect(refused.status).toBe(404);
    expect(refused.headers.get('x-powered-by')).toBeNull();
  });
});
