import type { DiscoveryService } from '@nestjs/core';
import { systemClock } from '@darkroom/kernel';
import type { Platform } from './platform';
import { ProjectionHost } from './projection.host';
import { ReadinessService } from './readiness.service';
import type { RelayHost } from './relay.host';

interface Fakes {
  database?: () => Promise<unknown>;
  connected?: boolean;
  bucket?: () => Promise<void>;
  usesBucket?: boolean;
  relay?: { active: boolean; since?: Date; lastTickAt?: Date };
  runners?: { name: string; activity: { active: boolean; since?: Date; lastTickAt?: Date } }[];
}

function readinessOf(fakes: Fakes = {}) {
  const platform = {
    pollIntervalMs: 100,
    clock: systemClock,
    sql: { query: fakes.database ?? (async () => ({ rows: [] })) },
    bus: fakes.connected === undefined ? {} : { isConnected: () => fakes.connected },
    objects: { probe: fakes.bucket ?? (async () => undefined) },
    ...(fakes.usesBucket === undefined ? {} : { usesBucket: fakes.usesBucket }),
  } as unknown as Platform;
  const relayHost = { relay: { activity: fakes.relay ?? { active: false } } } as unknown as RelayHost;
  const host = Object.assign(Object.create(ProjectionHost.prototype) as ProjectionHost, { runners: fakes.runners ?? [] });
  const discovery = { getProviders: () => [{ instance: host }, { instance: {} }] } as unknown as DiscoveryService;
  return new ReadinessService(platform, relayHost, discovery).readiness();
}

const longAgo = new Date(Date.now() - 60_000);

describe('ReadinessService', () => {
  it('is ready with the in-process bus, a standby relay and ticking runners', async () => {
    const readiness = await readinessOf({ runners: [{ name: 'generations', activity: { active: true, since: longAgo, lastTickAt: new Date() } }] });
    expect(readiness.status).toBe('ready');
    expect(readiness.checks).toMatchObject({
      database: { ok: true },
      broker: { ok: true, detail: 'in-process bus' },
      bucket: { ok: true },
      relay: { ok: true, detail: 'standby: another instance holds the lock' },
      projections: { ok: true, runners: { generations: { ok: true } } },
    });
  });

  it('names the database, broker and bucket when they fail', async () => {
    const readiness = await readinessOf({
      database: async () => Promise.reject(new Error('Connection terminated unexpectedly')),
      connected: false,
      bucket: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9000')),
    });
    expect(readiness.status).toBe('not_ready');
    expect(readiness.checks).toMatchObject({
      database: { ok: false, detail: 'Connection terminated unexpectedly' },
      broker: { ok: false, detail: 'not connected to the broker' },
      bucket: { ok: false, detail: 'connect ECONNREFUSED 127.0.0.1:9000' },
    });
  });

  it('never checks the bucket of a process that does not use one (ledger, generation)', async () => {
    const readiness = await readinessOf({ usesBucket: false, bucket: async () => Promise.reject(new Error('connect ECONNREFUSED')) });
    expect(readiness.status).toBe('ready');
    expect(Object.keys(readiness.checks)).not.toContain('bucket');
  });

  it('fails on an active relay or a runner without a round for longer than the threshold', async () => {
    const readiness = await readinessOf({
      connected: true,
      relay: { active: true, since: longAgo, lastTickAt: longAgo },
      runners: [
        { name: 'generations', activity: { active: true, since: longAgo, lastTickAt: longAgo } },
        { name: 'assets', activity: { active: true, since: longAgo, lastTickAt: new Date() } },
      ],
    });
    expect(readiness.status).toBe('not_ready');
    expect(readiness.checks['broker']).toEqual({ ok: true });
    expect(readiness.checks['relay']).toMatchObject({ ok: false });
    expect(readiness.checks['projections']).toMatchObject({
      ok: false,
      detail: 'stalled: generations',
      runners: { generations: { ok: false }, assets: { ok: true } },
    });
  });
});
