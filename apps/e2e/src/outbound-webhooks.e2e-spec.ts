import { createHmac } from 'node:crypto';
import { routingKey } from '@darkroom/contracts';
import { RabbitMqBus } from '@darkroom/messaging';
import { call, eventually, type Body } from './support/api';
import { flows } from './support/flows';
import { freePort } from './support/processes';
import { AMQP_URL, startSystem, type System } from './support/system';
import { Receiver, TOLERANCE_SECONDS, verificationProblem } from './support/webhook-receiver';

// Generous: other engineers' builds and tests share this 2-core machine.
jest.setTimeout(600_000);
const WAIT_MS = 300_000;

const PUBLIC_BASE_URL = 'https://api.darkroom.test';
/** Endpoints failing this long are disabled; long enough for the outage test, short enough to wait for. */
const DISABLE_AFTER_SECONDS = 60;

let system: System;
let main: Receiver;
/** Down (connection refused) until the outage test brings it up. */
let flaky: Receiver;

beforeAll(async () => {
  main = new Receiver(await freePort());
  flaky = new Receiver(await freePort());
  await main.start();
  system = await startSystem('e2e_outbound_webhooks', {
    env: {
      OUTBOUND_WEBHOOK_HTTP_HOSTS: `127.0.0.1:${main.port},127.0.0.1:${flaky.port}`,
      OUTBOUND_WEBHOOK_RETRY_SCHEDULE: Array.from({ length: 120 }, () => '1').join(','),
      OUTBOUND_WEBHOOK_DISABLE_AFTER_SECONDS: String(DISABLE_AFTER_SECONDS),
      PUBLIC_BASE_URL,
      RATE_LIMIT_PER_MINUTE: '1000000',
    },
  });
});
afterAll(async () => {
  await system?.stop();
  await main?.stop();
  await flaky?.stop();
});

const { createAccount, generate, waitForTerminal, eventsOf } = flows(() => system);
const api = (method: string, path: string, key: string, body?: unknown) => call(system.gatewayUrl, method, path, { key, body });

async function register(key: string, receiver: Receiver, path: string, events?: string[]): Promise<Body> {
  const created = await api('POST', '/v1/webhook_endpoints', key, { url: `${receiver.url}${path}`, ...(events ? { events } : {}) });
  expect(created.status).toBe(201);
  receiver.secrets.set(path, created.body.secret);
  return created.body;
}

async function deliveriesOf(key: string, endpointId: string): Promise<Body[]> {
  const listed = await api('GET', `/v1/webhook_endpoints/${endpointId}/deliveries?limit=100`, key);
  expect(listed.status).toBe(200);
  return listed.body.data;
}

/** The endpoint's delivery of the task's event, once every listed delivery matches `ready`. */
async function settledDelivery(key: string, endpointId: string, taskId: string, ready = (d: Body) => d.status === 'succeeded'): Promise<Body> {
  return eventually(async () => {
    const delivery = (await deliveriesOf(key, endpointId)).find((d) => d.task_id === taskId);
    return delivery && ready(delivery) ? delivery : undefined;
  }, WAIT_MS, `delivery of task ${taskId} to ${endpointId}`);
}

/** Creates the tasks at once and waits for each to complete. */
async function completedTasks(key: string, ...prompts: string[]): Promise<Body[]> {
  const created = await Promise.all(prompts.map((prompt) => generate(key, { model: 'local', prompt, size: '32x32' })));
  for (const response of created) expect(response.status).toBe(202);
  const tasks = await Promise.all(created.map((response) => waitForTerminal(key, response.body.id, WAIT_MS)));
  for (const task of tasks) expect(task.status).toBe('completed');
  return tasks;
}

describe('the test receiver’s own verification', () => {
  it('rejects a changed body, a wrong secret and a stale timestamp', () => {
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const timestamp = String(Math.floor(Date.now() / 1000));
    const body = '{"type":"generation.completed"}';
    const signature = createHmac('sha256', Buffer.alloc(32, 7)).update(`msg_1.${timestamp}.${body}`).digest('base64');
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
    expect(verificationProblem(secret, headers, body)).toBeUndefined();
    expect(verificationProblem(secret, headers, `${body} `)).toBe('no matching signature');
    expect(verificationProblem(`whsec_${Buffer.alloc(32, 8).toString('base64')}`, headers, body)).toBe('no matching signature');
    expect(verificationProblem(secret, headers, body, Number(timestamp) + TOLERANCE_SECONDS + 1)).toBe('timestamp outside tolerance');
  });
});

describe('outbound webhooks', () => {
  let owner: { id: string; key: string };
  let other: { id: string; key: string };
  let endpoint: Body;
  const terminal: Record<'completed' | 'failed' | 'canceled', Body> = {} as never;

  beforeAll(async () => {
    owner = await createAccount(20);
    other = await createAccount(0);
  });

  it('refuses bad endpoints with field errors', async () => {
    const cases: [unknown, string][] = [
      [{ url: 'ftp://example.com/hook' }, 'url'],
      [{ url: 'http://example.com/hook' }, 'url'],
      [{ url: 'https://10.0.0.8/hook' }, 'url'],
      [{ url: 'https://user:secret@example.com/hook' }, 'url'],
      [{ url: 'https://example.com/hook', events: ['generation.started'] }, 'events'],
      [{ url: 'https://example.com/hook', events: [] }, 'events'],
      [{ events: ['generation.completed'] }, 'url'],
    ];
    for (const [body, field] of cases) {
      const refused = await api('POST', '/v1/webhook_endpoints', owner.key, body);
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ code: 'invalid_request' });
      expect(refused.body.errors.map((e: Body) => e.field)).toContain(field);
    }
    expect((await call(system.gatewayUrl, 'GET', '/v1/webhook_endpoints')).status).toBe(401);
  });

  it('refuses endpoints that name no public host before storing them', async () => {
    const urls = [
      'https://localhost',
      'https://localhost.',
      'https://LOCALHOST',
      'https://api.localhost/hook',
      'https://10.0.0.1.nip.io',
      'https://127.0.0.1.sslip.io/hook',
      'https://metadata.google.internal',
      'https://printer.local/hook',
      'https://example.com:0',
    ];
    for (const url of urls) {
      const refused = await api('POST', '/v1/webhook_endpoints', owner.key, { url });
      expect({ url, status: refused.status, code: refused.body.code }).toEqual({ url, status: 400, code: 'webhook_url_not_allowed' });
      expect(refused.body.errors.map((e: Body) => e.field)).toEqual(['url']);
    }
    expect((await api('GET', '/v1/webhook_endpoints', owner.key)).body.data).toEqual([]);
  });

  it('registers an endpoint and shows its secret at creation and to its owner', async () => {
    endpoint = await register(owner.key, main, '/hooks/main');
    expect(endpoint).toMatchObject({
      object: 'webhook_endpoint',
      url: `${main.url}/hooks/main`,
      events: ['generation.completed', 'generation.failed', 'generation.canceled', 'batch.ended'],
      enabled: true,
      disabled_reason: null,
    });
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const read = await api('GET', `/v1/webhook_endpoints/${endpoint.id}`, owner.key);
    expect(read.status).toBe(200);
    expect(read.body).not.toHaveProperty('secret');
    expect((await api('GET', `/v1/webhook_endpoints/${endpoint.id}/secret`, owner.key)).body.secret).toBe(endpoint.secret);
    const listed = await api('GET', '/v1/webhook_endpoints', owner.key);
    expect(listed.body.data.map((e: Body) => e.id)).toEqual([endpoint.id]);
  });

  it('is not found for another account', async () => {
    const id = endpoint.id;
    const attempts = [
      await api('GET', `/v1/webhook_endpoints/${id}`, other.key),
      await api('GET', `/v1/webhook_endpoints/${id}/secret`, other.key),
      await api('GET', `/v1/webhook_endpoints/${id}/deliveries`, other.key),
      await api('POST', `/v1/webhook_endpoints/${id}/enable`, other.key),
      await api('POST', `/v1/webhook_endpoints/${id}/deliveries/${id}/redeliver`, other.key),
      await api('DELETE', `/v1/webhook_endpoints/${id}`, other.key),
    ];
    for (const response of attempts) expect(response.body).toMatchObject({ status: 404, code: 'webhook_endpoint_not_found' });
    expect((await api('GET', '/v1/webhook_endpoints', other.key)).body.data).toEqual([]);
    expect((await api('GET', `/v1/webhook_endpoints/${id}`, owner.key)).status).toBe(200);
  });

  it('delivers completed, failed and canceled tasks, signed, with the task resource', async () => {
    const failing = await generate(owner.key, { model: 'local', prompt: 'a broken render [fail]', size: '32x32' });
    [terminal.completed] = await completedTasks(owner.key, 'a lighthouse at dusk');
    terminal.failed = await waitForTerminal(owner.key, failing.body.id, WAIT_MS);
    expect(terminal.failed.status).toBe('failed');
    const slow = await generate(owner.key, { model: 'local', prompt: 'never mind [slow:30000]', size: '32x32' });
    const canceled = await api('POST', `/v1/generations/${slow.body.id}/cancel`, owner.key);
    expect(canceled.body.status).toBe('canceled');
    terminal.canceled = canceled.body;

    for (const [status, task] of Object.entries(terminal)) {
      const delivery = await settledDelivery(owner.key, endpoint.id, task.id);
      expect(delivery).toMatchObject({ event_type: `generation.${status}`, status: 'succeeded', last_status_code: 200, next_attempt_at: null });
      const requests = main.at('/hooks/main').filter((r) => r.id === delivery.message_id);
      expect(requests).toHaveLength(1);
      const [request] = requests;
      expect(request.problem).toBeUndefined();
      expect(request.payload).toMatchObject({ type: `generation.${status}`, data: { id: task.id, object: 'generation', status } });
      expect(Date.parse(request.payload.timestamp)).not.toBeNaN();
      // The payload is the task resource as GET /v1/generations/{id} returns it.
      const read = (await api('GET', `/v1/generations/${task.id}`, owner.key)).body;
      for (const field of ['model', 'prompt', 'params', 'error', 'metadata', 'created_at', `${status}_at`]) {
        expect(request.payload.data[field]).toEqual(read[field]);
      }
      expect(request.payload.data.assets.map((a: Body) => a.id)).toEqual(read.assets.map((a: Body) => a.id));
    }
    const completed = main.at('/hooks/main').find((r) => r.payload?.data?.id === terminal.completed.id)!;
    expect(completed.payload.data.assets).toHaveLength(1);
    expect(completed.payload.data.assets[0].url).toBe(`${PUBLIC_BASE_URL}/v1/assets/${completed.payload.data.assets[0].id}`);
    const failed = main.at('/hooks/main').find((r) => r.payload?.data?.id === terminal.failed.id)!;
    expect(failed.payload.data.error).toMatchObject({ code: 'provider_error' });
  });

  it('keeps retrying an endpoint that is down and delivers every message once it is back', async () => {
    const down = await register(owner.key, flaky, '/hooks/flaky', ['generation.completed']);
    const tasks = await completedTasks(owner.key, 'first while down', 'second while down');

    // Refused connections first: every delivery has failed at least once.
    await eventually(async () => {
      const log = await deliveriesOf(owner.key, down.id);
      return log.length === 2 && log.every((d) => d.status === 'pending' && d.attempts.length >= 1) ? log : undefined;
    }, WAIT_MS, 'a failed attempt of each delivery');
    // Then up but answering 503 with Retry-After, then healthy.
    flaky.answers.set('/hooks/flaky', 503);
    await flaky.start();
    await eventually(async () => (new Set(flaky.at('/hooks/flaky').map((r) => r.id)).size === 2 ? true : undefined), WAIT_MS, '503s');
    flaky.answers.set('/hooks/flaky', 200);

    for (const task of tasks) {
      const delivery = await settledDelivery(owner.key, down.id, task.id);
      const requests = flaky.at('/hooks/flaky').filter((r) => r.id === delivery.message_id);
      expect(requests.every((r) => r.problem === undefined)).toBe(true);
      expect(requests.every((r) => r.body === requests[0].body)).toBe(true);
      expect(requests.map((r) => r.answered).filter((s) => s === 200)).toHaveLength(1);
      expect(requests.at(-1)!.answered).toBe(200);
      expect(requests[0].payload).toMatchObject({ type: 'generation.completed', data: { id: task.id, status: 'completed' } });

      // The log: refused connections, then the 503s, then the success — one entry per attempt.
      const statuses = delivery.attempts.map((a: Body) => a.status_code);
      expect(delivery.attempt_count).toBe(delivery.attempts.length);
      expect(delivery.attempts.length).toBe(requests.length + statuses.filter((s: Body) => s === null).length);
      expect(statuses[0]).toBeNull();
      expect(delivery.attempts[0].error).toMatch(/ECONNREFUSED/);
      expect(statuses).toContain(503);
      expect(statuses.at(-1)).toBe(200);
      for (const attempt of delivery.attempts) {
        expect(Date.parse(attempt.attempted_at)).not.toBeNaN();
        expect(attempt.duration_ms).toBeGreaterThanOrEqual(0);
        expect(attempt.trigger).toBe('scheduled');
      }
    }
    // Subscribed to completions only.
    expect(flaky.at('/hooks/flaky').every((r) => r.payload.type === 'generation.completed')).toBe(true);
    expect((await api('GET', `/v1/webhook_endpoints/${down.id}`, owner.key)).body).toMatchObject({ enabled: true, failing_since: null });
  });

  it('creates no second delivery when the terminal event is handled again', async () => {
    const event = (await eventsOf(terminal.completed.id)).find((e) => e.type === 'GenerationCompleted')!;
    const count = async () =>
      Number((await system.db.sql.query<{ n: string }>(`SELECT count(*) AS n FROM webhook_deliveries WHERE event_id = $1`, [event.eventId])).rows[0].n);
    const before = await count();
    expect(before).toBe(1);
    const sentBefore = main.at('/hooks/main').filter((r) => r.payload?.data?.id === terminal.completed.id).length;

    // A replay: the consumer's inbox forgets the event and the bus brings it again.
    await system.db.sql.query(`DELETE FROM inbox WHERE consumer = 'outbound-webhooks' AND event_id = $1`, [event.eventId]);
    const bus = new RabbitMqBus({ url: AMQP_URL, exchange: system.env['AMQP_EXCHANGE']!, queuePrefix: system.env['AMQP_QUEUE_PREFIX']! });
    try {
      await bus.publish([{ ...event, routingKey: routingKey(event.streamId, event.type) }]);
    } finally {
      await bus.close();
    }
    await eventually(async () => {
      const { rows } = await system.db.sql.query(`SELECT 1 FROM inbox WHERE consumer = 'outbound-webhooks' AND event_id = $1`, [event.eventId]);
      return rows.length > 0 ? true : undefined;
    }, WAIT_MS, 'the replayed event to be handled');

    expect(await count()).toBe(before);
    const delivery = await settledDelivery(owner.key, endpoint.id, terminal.completed.id);
    expect(delivery.attempts).toHaveLength(1);
    expect(main.at('/hooks/main').filter((r) => r.payload?.data?.id === terminal.completed.id)).toHaveLength(sentBefore);
  });

  it('redelivers with the same webhook-id and body', async () => {
    const delivery = await settledDelivery(owner.key, endpoint.id, terminal.failed.id);
    const first = main.at('/hooks/main').filter((r) => r.id === delivery.message_id);
    expect(first).toHaveLength(1);

    const redelivered = await api('POST', `/v1/webhook_endpoints/${endpoint.id}/deliveries/${delivery.id}/redeliver`, owner.key);
    expect(redelivered.status).toBe(202);
    expect(redelivered.body).toMatchObject({ id: delivery.id, message_id: delivery.message_id, status: 'pending' });

    const again = await eventually(async () => {
      const requests = main.at('/hooks/main').filter((r) => r.id === delivery.message_id);
      return requests.length === 2 ? requests[1] : undefined;
    }, WAIT_MS, 'the redelivery');
    expect(again.problem).toBeUndefined();
    expect(again.body).toBe(first[0].body);
    const logged = await settledDelivery(owner.key, endpoint.id, terminal.failed.id, (d) => d.status === 'succeeded' && d.attempts.length === 2);
    expect(logged.attempts.map((a: Body) => [a.trigger, a.status_code])).toEqual([
      ['scheduled', 200],
      ['redeliver', 200],
    ]);

    const unknown = await api('POST', `/v1/webhook_endpoints/${endpoint.id}/deliveries/${endpoint.id}/redeliver`, owner.key);
    expect(unknown.body).toMatchObject({ status: 404, code: 'webhook_delivery_not_found' });
  });

  it('disables an endpoint failing past the period, with a reason, and resumes it when enabled', async () => {
    main.answers.set('/hooks/broken', 500);
    const broken = await register(owner.key, main, '/hooks/broken');
    const [task] = await completedTasks(owner.key, 'nobody listens');

    const disabled = await eventually(async () => {
      const read = (await api('GET', `/v1/webhook_endpoints/${broken.id}`, owner.key)).body;
      return read.enabled === false ? read : undefined;
    }, WAIT_MS, 'the endpoint to be disabled');
    expect(disabled.disabled_reason).toMatch(/failed.*HTTP 500/);
    expect(Date.parse(disabled.disabled_at)).not.toBeNaN();

    // Stopped: the delivery waits, and every request the receiver got is in the log.
    const [waiting, ...others] = await deliveriesOf(owner.key, broken.id);
    expect(others).toEqual([]);
    expect(waiting).toMatchObject({ task_id: task.id, status: 'pending', last_status_code: 500 });
    const requests = main.at('/hooks/broken');
    expect(requests.length).toBe(waiting.attempts.length);
    expect(requests.every((r) => r.problem === undefined && r.id === waiting.message_id)).toBe(true);
    const spanMs = Date.parse(waiting.attempts.at(-1).attempted_at) - Date.parse(waiting.attempts[0].attempted_at);
    expect(spanMs).toBeGreaterThanOrEqual(DISABLE_AFTER_SECONDS * 1000);

    const refused = await api('POST', `/v1/webhook_endpoints/${broken.id}/deliveries/${waiting.id}/redeliver`, owner.key);
    expect(refused.body).toMatchObject({ status: 409, code: 'webhook_endpoint_disabled' });

    main.answers.set('/hooks/broken', 200);
    const enabled = await api('POST', `/v1/webhook_endpoints/${broken.id}/enable`, owner.key);
    expect(enabled.body).toMatchObject({ enabled: true, disabled_reason: null, disabled_at: null });
    await settledDelivery(owner.key, broken.id, task.id);
    expect(main.at('/hooks/broken').filter((r) => r.answered === 200)).toHaveLength(1);
  });

  it('deletes an endpoint for its owner only', async () => {
    expect((await api('DELETE', `/v1/webhook_endpoints/${endpoint.id}`, other.key)).status).toBe(404);
    expect((await api('DELETE', `/v1/webhook_endpoints/${endpoint.id}`, owner.key)).status).toBe(204);
    expect((await api('GET', `/v1/webhook_endpoints/${endpoint.id}`, owner.key)).status).toBe(404);
    expect((await api('GET', '/v1/webhook_endpoints', owner.key)).body.data.map((e: Body) => e.id)).not.toContain(endpoint.id);
  });

  it('never sent a request that failed verification', () => {
    expect([...main.received, ...flaky.received].filter((r) => r.problem !== undefined)).toEqual([]);
  });
});
