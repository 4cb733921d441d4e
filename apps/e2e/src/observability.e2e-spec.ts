import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { parseMetrics, sampleValue } from '@darkroom/observability';
import { call, eventually, type ApiResponse, type Body } from './support/api';
import { flows } from './support/flows';
import { freePort } from './support/processes';
import { SERVICES, startSystem, type ServiceName, type System } from './support/system';

/**
 * Issue 19, observability: one access-log line per request (method, route, status,
 * duration, request and account ids), `task_id` on every line about a task in all five
 * services, HTTP and outbound-webhook metrics, and `/metrics` behind `METRICS_TOKEN`.
 */
jest.setTimeout(600_000);

const METRICS_TOKEN = `metrics-${randomUUID()}`;
let system: System;
let receiver: Server;
let receiverPort: number;
let delivered = 0;

beforeAll(async () => {
  receiverPort = await freePort();
  receiver = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      delivered += 1;
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(receiverPort, '127.0.0.1', () => resolve()));
  // debug: every service also logs each message it takes, so a task leaves lines in all five.
  system = await startSystem('e2e_observability', {
    env: { LOG_LEVEL: 'debug', METRICS_TOKEN, OUTBOUND_WEBHOOK_HTTP_HOSTS: `127.0.0.1:${receiverPort}` },
  });
});
afterAll(async () => {
  await system?.stop();
  receiver?.closeAllConnections();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
});

const { createAccount } = flows(() => system);

type LogLine = Record<string, unknown> & { readonly raw: string; readonly service: string };

/** The JSON lines a service has written so far (its stderr's non-JSON lines are skipped). */
async function logOf(name: ServiceName): Promise<LogLine[]> {
  const text = await readFile(system.services.get(name)!.logFile, 'utf8');
  return text.split('\n').flatMap((raw) => {
    if (!raw.startsWith('{')) return [];
    try {
      return [{ ...(JSON.parse(raw) as Record<string, unknown>), raw, service: name }];
    } catch {
      return [];
    }
  });
}

interface Sent {
  readonly id: string;
  readonly method: string;
  readonly route: string;
  readonly response: ApiResponse;
  readonly accountId?: string;
}

describe('logs and metrics an operator can work with', () => {
  const sent: Sent[] = [];
  let taskId: string;
  let accountId: string;

  /** One request with its own X-Request-Id, remembered with the route it should be logged under. */
  async function send(method: string, path: string, route: string, options: { key?: string; body?: unknown; accountId?: string } = {}) {
    const id = `obs-${randomUUID()}`;
    const headers: Record<string, string> = { 'x-request-id': id, ...(path === '/metrics' ? { authorization: `Bearer ${METRICS_TOKEN}` } : {}) };
    const response = await call(system.gatewayUrl, method, path, { ...options, headers });
    sent.push({ id, method, route, response, ...(options.accountId ? { accountId: options.accountId } : {}) });
    return response;
  }

  beforeAll(async () => {
    const account = await createAccount(10);
    accountId = account.id;
    const endpoint = await call(system.gatewayUrl, 'POST', '/v1/webhook_endpoints', {
      key: account.key,
      body: { url: `http://127.0.0.1:${receiverPort}/hooks` },
    });
    expect(endpoint.status).toBe(201);
    const own = { key: account.key, accountId };
    const created = await send('POST', '/v1/generations', '/v1/generations', { ...own, body: { model: 'local', prompt: 'a lighthouse at dusk', size: '64x64' } });
    expect(created.status).toBe(202);
    taskId = created.body.id;
    await eventually(async () => {
      const read = await send('GET', `/v1/generations/${taskId}`, '/v1/generations/:id', own);
      return read.body.status === 'completed' && read.body.credits.state === 'captured' ? true : undefined;
    }, 120_000, 'the task to complete');
    await send('GET', `/v1/generations/${taskId}/events`, '/v1/generations/:id/events', own);
    await send('GET', '/v1/models', '/v1/models', own);
    expect((await send('POST', '/v1/generations', '/v1/generations', { ...own, body: { model: 'local', prompt: 'x', n: 0 } })).status).toBe(400);
    // No route, no guard: the key is never looked up, so the line names no account.
    expect((await send('GET', '/v1/no-such-route', 'unmatched', { key: account.key })).status).toBe(404);
    expect((await send('GET', '/health/ready', '/health/ready')).status).toBe(200);
    expect((await send('GET', '/metrics', '/metrics')).status).toBe(200);
    await eventually(async () => (delivered > 0 ? true : undefined), 120_000, 'the webhook delivery');
  });

  it('writes exactly one access-log line per request, with method, route, status, duration, request and account ids', async () => {
    const access = (await logOf('gateway')).filter((line) => line['context'] === 'http' && line['msg'] === 'request');
    for (const request of sent) {
      const lines = access.filter((line) => line['request_id'] === request.id);
      expect({ request: request.id, lines: lines.length }).toEqual({ request: request.id, lines: 1 });
      expect(lines[0]).toMatchObject({
        level: 'info',
        service: 'gateway',
        method: request.method,
        route: request.route,
        status: request.response.status,
        duration_ms: expect.any(Number),
      });
      expect(lines[0]!['account_id']).toBe(request.accountId);
    }
    const aboutTask = access.filter((line) => sent.some((request) => request.id === line['request_id'] && request.route.includes(':id')));
    expect(aboutTask.length).toBeGreaterThan(1);
    expect(aboutTask.every((line) => line['task_id'] === taskId)).toBe(true);
  });

  it('puts the task_id on every line about the task, in each of the five services', async () => {
    const lines = (await Promise.all(SERVICES.map(logOf))).flat();
    const aboutTask = lines.filter((line) => line.raw.includes(taskId));
    const without = aboutTask.filter((line) => line['task_id'] !== taskId).map((line) => line.raw);
    expect(without).toEqual([]);
    // Not vacuous: the task's processing left lines in every service.
    expect(new Set(aboutTask.map((line) => line.service))).toEqual(new Set(SERVICES));
    expect(lines.filter((line) => line['correlation_id'] === taskId).every((line) => line['task_id'] === taskId)).toBe(true);
  });

  it('counts HTTP requests and outbound webhook attempts, and serves /metrics only with METRICS_TOKEN', async () => {
    expect((await fetch(`${system.gatewayUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${system.gatewayUrl}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const scraped = await fetch(`${system.gatewayUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(scraped.status).toBe(200);
    const samples = parseMetrics(await scraped.text());
    const reads = sent.filter((request) => request.route === '/v1/generations/:id').length;
    expect(
      sampleValue(samples, 'darkroom_http_request_duration_seconds_count', { method: 'GET', route: '/v1/generations/:id', status: '200' }),
    ).toBeGreaterThanOrEqual(reads);
    expect(sampleValue(samples, 'darkroom_http_request_duration_seconds_count', { method: 'POST', route: '/v1/generations', status: '202' })).toBe(1);
    expect(sampleValue(samples, 'darkroom_http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(sampleValue(samples, 'darkroom_outbound_webhook_duration_seconds_count', { outcome: 'succeeded' })).toBe(delivered);
    for (const name of SERVICES.filter((service) => service !== 'gateway')) {
      const port = system.services.get(name)!.port;
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
    }
  });

  it('keeps the problem body of a refused request in snake_case', () => {
    const refused: Body = sent.find((request) => request.response.status === 400)!.response.body;
    expect(refused).toMatchObject({ code: 'invalid_request', request_id: expect.any(String) });
    expect(refused.detail).toMatch(/^Invalid field n: n must not be less than 1/);
  });
});
