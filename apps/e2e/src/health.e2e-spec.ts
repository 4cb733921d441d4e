import { call, eventually, type Body } from './support/api';
import { SERVICES, startSystem, type ServiceName, type System } from './support/system';

/**
 * `/health/live` and `/health/ready` (issue 6, "Done when"): every service's readiness turns
 * false when its database, broker or bucket goes away and true again when it is back. The
 * outages are of this system only: its services reach the machine's PostgreSQL and RabbitMQ
 * through TCP proxies the test cuts and restores (other tests share those servers).
 */
jest.setTimeout(600_000);

const CHECKS = ['database', 'broker', 'bucket', 'relay', 'projections'];
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

/** Waits until every service answers `/health/ready` with `status`, and returns the bodies by service. */
async function everyService(status: 200 | 503, accept: (body: Body) => boolean, what: string): Promise<Map<ServiceName, Body>> {
  return eventually(async () => {
    const answers = await Promise.all(SERVICES.map(async (service) => [service, await probe(service, 'ready')] as const));
    const matching = answers.every(([, answer]) => answer.status === status && accept(answer.body));
    return matching ? new Map(answers.map(([service, answer]) => [service, answer.body])) : undefined;
  }, OUTAGE_MS, what);
}

const allOk = (body: Body) => body?.status === 'ready' && CHECKS.every((check) => body.checks?.[check]?.ok === true);
const failing = (check: string) => (body: Body) => body?.status === 'not_ready' && body.checks?.[check]?.ok === false;

async function expectAllLive(): Promise<void> {
  for (const service of SERVICES) expect({ service, status: (await probe(service, 'live')).status }).toEqual({ service, status: 200 });
}

describe('readiness of every service', () => {
  it('is ready with every check passing while everything is up', async () => {
    const bodies = await everyService(200, allOk, 'every service ready');
    for (const body of bodies.values()) expect(Object.keys(body.checks).sort()).toEqual([...CHECKS].sort());
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
      await everyService(503, failing('bucket'), 'every service to report the bucket down');
      await expectAllLive();
    } finally {
      await system.s3.start();
    }
    await everyService(200, allOk, 'every service ready after the bucket is back');
  });
});
