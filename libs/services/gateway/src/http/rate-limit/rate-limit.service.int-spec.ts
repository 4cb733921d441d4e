import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Sql } from '@darkroom/database';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';
import type { GatewayOptions } from '../../gateway.options';
import type { RateLimitSettings } from '../../gateway.options';
import { RateLimitService } from './rate-limit.service';

// A loaded machine creates and drops databases slowly.
jest.setTimeout(60_000);

const optionsWith = (rateLimit: RateLimitSettings) => ({ rateLimit }) as unknown as GatewayOptions;

describe('RateLimitService on PostgreSQL', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('shares one count per key between instances (two gateways), and refuses past the limit', async () => {
    const settings: RateLimitSettings = { perMinute: 3, store: 'postgres' };
    const [a, b] = [new RateLimitService(optionsWith(settings), db.sql), new RateLimitService(optionsWith(settings), db.sql)];
    const decisions = [await a.consume('key-1'), await b.consume('key-1'), await a.consume('key-1'), await b.consume('key-1')];
    expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, true, false]);
    expect(decisions.map((decision) => decision.headers['RateLimit-Remaining'])).toEqual(['2', '1', '0', '0']);
    const refused = decisions[3]!;
    expect(refused.allowed === false && refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.allowed === false && refused.retryAfterSeconds).toBeLessThanOrEqual(60);
    // Another key has its own count.
    expect(await a.consume('key-2')).toMatchObject({ allowed: true, headers: { 'RateLimit-Remaining': '2' } });
    const { rows } = await db.sql.query<{ key: string; points: number }>(`SELECT key, points FROM rate_limits ORDER BY key`);
    expect(rows).toEqual([
      { key: 'api_key:key-1', points: 4 },
      { key: 'api_key:key-2', points: 1 },
    ]);
  });

  it('counts concurrent requests exactly', async () => {
    const limiter = new RateLimitService(optionsWith({ perMinute: 50, store: 'postgres' }), db.sql);
    const decisions = await Promise.all(Array.from({ length: 80 }, () => limiter.consume('busy')));
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(50);
  });

  it('lets requests through, without headers, when the store fails', async () => {
    const broken: Sql = {
      query: () => Promise.reject(new Error('connection refused')),
      transaction: () => Promise.reject(new Error('connection refused')),
    };
    const limiter = new RateLimitService(optionsWith({ perMinute: 1, store: 'postgres' }), broken);
    expect(await limiter.consume('key')).toEqual({ allowed: true, headers: {} });
    expect(await limiter.consume('key')).toEqual({ allowed: true, headers: {} });
  });

  it('is off at 0', async () => {
    const limiter = new RateLimitService(optionsWith({ perMinute: 0, store: 'postgres' }), db.sql);
    expect(limiter.enabled).toBe(false);
    expect(await limiter.consume('key')).toEqual({ allowed: true, headers: {} });
  });

  it('counts in memory for the embedded process', async () => {
    const limiter = new RateLimitService(optionsWith({ perMinute: 2, store: 'memory' }), db.sql);
    const decisions = [await limiter.consume('k'), await limiter.consume('k'), await limiter.consume('k')];
    expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, false]);
  });
});
