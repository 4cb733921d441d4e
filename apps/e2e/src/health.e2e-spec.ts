import { join } from 'node:path';
import { call, eventually, type Body } from './support/api';
import { startService, workspaceRoot } from './support/processes';
import { SERVICES, startSystem, type ServiceName, type System } from './support/system';

/**
 * `/health/live` and `/health/ready` (issue 6, "Done when"): every service's readiness turns
 * false when its database, broker or bucket goes away and true again when it is back. The
 * outages are of this system only: its services reach the machine's PostgreSQL and RabbitMQ
 * through TCP proxies the test cuts and restores (other tests share those servers). The
 * ledger and generation never touch the bucket, so they neither check it nor mind its outage
 * (issue 15); a service booted during an outage starts and reports not ready.
 */
jest.setTimeout(600_000);

const CHECKS = ['database', 'broker', 'bucket', 'relay', 'projections'];
const WITHOUT_BUCKET: readonly ServiceName[] = ['ledger', 'generation'];
const checksOf = (service: ServiceName) => CHECKS.filter((check) => check !== 'bucket' || !WITHOUT_BUCKET.includes(service));
/** Generous: reconnects back off and the machine is loaded. */
const OUTAGE_MS = 90_000;

let system: System;

beforeAll(async () => {
  // Small pools: the machine's PostgreSQL is shared with every other test running meanwhile.
  system = await startSystem('e2e_health', { proxies: { database: true, broker: true }, env: { DATABASE_POOL_SIZE: '4' } });
});
afterAll(async () => {
  system?.proxies.database?.restore();
  system?.proxies.broker?.restore();
  await system?.s3.start().catch(() => undefined);
  await system?.stop();
});

const baseUrl = (service: ServiceName) => `http://127.0.0.1:${system.services.get(service)!.port}`;
const probe = (service: ServiceName, which: 'live' | 'ready') => call(baseUrl(service), 'GET', `/health/${which}`);

/** Waits until every service (of `services`) answers `/health/ready` with `status`, and returns the bodies by service. */
async function everyService(
  status: 200 | 503,
  accept: (body: Body, service: ServiceName) => boolean,
  what: string,
  services: readonly ServiceName[] = SERVICES,
): Promise<Map<ServiceName, Body>> {
  return eventually(async () => {
    const answers = await Promise.all(services.map(async (service) => [service, await probe(service, 'ready')] as const));
    const matching = answers.every(([service, answer]) => answer.status === status && accept(answer.body, service));
    return matching ? new Map(answers.map(([service, answer]) => [service, answer.body])) : undefined;
  }, OUTAGE_MS, what);
}

const allOk = (body: Body, service: ServiceName) => body?.status === 'ready' && checksOf(service).every((check) => body.checks?.[check]?.ok === true);
const failing = (check: string) => (body: Body) => body?.status === 'not_ready' && body.checks?.[check]?.ok === false;

async function expectAllLive(): Promise<void> {
  for (const service of SERVICES) expect({ service, status: (await probe(service, 'live')).status }).toEqual({ service, status: 200 });
}

describe('readiness of every service', () => {
  it('is ready with every check passing while everything is up', async () => {
    const bodies = await everyService(200, allOk, 'every service ready');
    for (const [service, body] of bodies) expect({ service, checks: Object.keys(body.checks).sort() }).toEqual({ service, checks: checksOf(service).sort() });
    await expectAllLive();
  });

  it('turns not ready when the database goes away and ready again when it is back', async () => {
    system.proxies.database!.cut();
    try {
      const bodies = await everyService(503, failing('database'), 'every service to report the database down');
      for (const body of bodies.values()) expect(typeof body.checks.database.detail).toBe('string');
      await expectAllLive();
    } finally {
      system.proxies.database!.restore();
    }
    await everyService(200, allOk, 'every service ready after the database is back');
  });

  it('answers API requests with 503 and Retry-After while the database is away, never a 500', async () => {
    const created = await call(system.gatewayUrl, 'POST', '/admin/accounts', { key: system.adminKey, body: { name: 'outage' } });
    expect(created.status).toBe(201);
    const key = created.body.api_key as string;
    system.proxies.database!.cut();
    try {
      await everyService(503, failing('database'), 'every service to report the database down');
      const answers = [
        await call(system.gatewayUrl, 'GET', '/v1/generations', { key }),
        await call(system.gatewayUrl, 'POST', '/v1/generations', { key, body: { model: 'local', prompt: 'during the outage' } }),
        await call(system.gatewayUrl, 'GET', '/v1/credits', { key }),
        await call(system.gatewayUrl, 'GET', `/admin/accounts/${created.body.id}`, { key: system.adminKey }),
      ];
      for (const answer of answers) {
        expect({ status: answer.status, code: answer.body?.code, retryAfter: answer.headers.get('retry-after') }).toEqual({
          status: 503,
          code: 'database_unavailable',
          retryAfter: '2',
        });
      }
    } finally {
      system.proxies.database!.restore();
    }
    await everyService(200, allOk, 'every service ready after the database is back');
    expect((await call(system.gatewayUrl, 'GET', '/v1/generations', { key })).status).toBe(200);
  });

  it('turns not ready when the broker goes away and ready again when it is back', async () => {
    system.proxies.broker!.cut();
    try {
      const bodies = await everyService(503, failing('broker'), 'every service to report the broker down');
      for (const body of bodies.values()) expect(body.checks.database.ok).toBe(true);
      await expectAllLive();
    } finally {
      system.proxies.broker!.restore();
    }
    await everyService(200, allOk, 'every service ready after the broker is back');
  });

  it('turns not ready when the bucket goes away and ready again when it is back', async () => {
    await system.s3.stop();
    try {
      const users = SERVICES.filter((service) => !WITHOUT_BUCKET.includes(service));
      await everyService(503, failing('bucket'), 'every service that uses the bucket to report it down', users);
      await everyService(200, allOk, 'the ledger and generation to stay ready', WITHOUT_BUCKET);
      await expectAllLive();
    } finally {
      await system.s3.start();
    }
    await everyService(200, allOk, 'every service ready after the bucket is back');
  });

  for (const [dependency, service] of [['database', 'generation'], ['broker', 'ledger']] as const) {
    it(`starts a service while the ${dependency} is down: live and not ready (instead of exiting) until it is back`, async () => {
      const proxy = dependency === 'database' ? system.proxies.database! : system.proxies.broker!;
      proxy.cut();
      const logDir = join(workspaceRoot, 'test-results/e2e-logs', `${system.env['AMQP_QUEUE_PREFIX']}-booted-without-${dependency}`);
      // startService returns once /health/live answers: the waiting process answers it.
      const started = await startService(service, system.env, logDir).catch((error: unknown) => {
        proxy.restore();
        throw error;
      });
      const ready = () => call(`http://127.0.0.1:${started.port}`, 'GET', '/health/ready');
      try {
        const down = await ready();
        expect({ status: down.status, ok: down.body.checks[dependency].ok }).toEqual({ status: 503, ok: false });
        expect(typeof down.body.checks[dependency].detail).toBe('string');
        // Still waiting a few seconds later: it did not exit.
        await new Promise((resolve) => setTimeout(resolve, 3000));
        expect(started.child.exitCode).toBeNull();
        expect((await ready()).status).toBe(503);
        proxy.restore();
        await eventually(async () => ((await ready()).status === 200 ? true : undefined), OUTAGE_MS, `the new ${service} instance to turn ready`);
      } finally {
        proxy.restore();
        await started.kill();
      }
    });
  }

  it('starts a service while the bucket is down: not ready (instead of exiting) until the bucket is back', async () => {
    await system.s3.stop();
    const logDir = join(workspaceRoot, 'test-results/e2e-logs', `${system.env['AMQP_QUEUE_PREFIX']}-booted-in-outage`);
    const storage = await startService('storage', system.env, logDir).catch(async (error: unknown) => {
      await system.s3.start();
      throw error;
    });
    const ready = () => call(`http://127.0.0.1:${storage.port}`, 'GET', '/health/ready');
    try {
      const down = await eventually(async () => {
        const answer = await ready();
        return answer.status === 503 ? answer.body : undefined;
      }, OUTAGE_MS, 'the new storage instance to report not ready');
      expect(down.checks.bucket.ok).toBe(false);
      await system.s3.start();
      await eventually(async () => ((await ready()).status === 200 ? true : undefined), OUTAGE_MS, 'the new storage instance to turn ready');
    } finally {
      await system.s3.start().catch(() => undefined);
      await storage.kill();
    }
  });
});
