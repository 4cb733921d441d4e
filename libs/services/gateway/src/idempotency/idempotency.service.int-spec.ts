import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DomainError } from '@darkroom/kernel';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';
import type { GatewayOptions } from '../gateway.options';
import { HttpProblem } from '../http/http-problem';
import { IdempotencyService, type IdempotencyClaim, type IdempotencyOutcome } from './idempotency.service';

let db: TestDatabase;
let service: IdempotencyService;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 20 });
  service = new IdempotencyService(db.sql, { idempotencyKeyTtlHours: 24 } as GatewayOptions);
});
afterAll(async () => {
  await db?.drop();
});

function claimOf(outcome: IdempotencyOutcome): IdempotencyClaim {
  if (outcome.kind !== 'claimed') throw new Error(`expected a claim, got ${outcome.kind}`);
  return outcome.claim;
}

const settle = <T>(work: Promise<T>) => work.then((value) => ({ value }), (error: unknown) => ({ error }));

describe('IdempotencyService against PostgreSQL', () => {
  it('lets exactly one of 50 concurrent requests claim a key; the others get 409 with its task id', async () => {
    const account = randomUUID();
    const results = await Promise.all(Array.from({ length: 50 }, () => settle(service.begin(account, 'k', 'fp'))));
    const claims = results.flatMap((r) => ('value' in r ? [claimOf(r.value)] : []));
    expect(claims).toHaveLength(1);
    const refusals = results.flatMap((r) => ('error' in r ? [r.error] : []));
    expect(refusals).toHaveLength(49);
    for (const error of refusals) {
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ code: 'idempotency_key_in_progress', detail: { task_id: claims[0].taskId } });
    }
  });

  it('replays the response stored with the append, in its original key order; refuses another fingerprint with 422', async () => {
    const account = randomUUID();
    const claim = claimOf(await service.begin(account, 'k', 'fp'));
    const body = { id: claim.taskId, object: 'generation', status: 'created', a: 1 };
    await db.sql.transaction((tx) => service.recordCreated(tx, claim, { status: 202, body }));
    const replay = await service.begin(account, 'k', 'fp');
    expect(replay).toEqual({ kind: 'replay', status: 202, body });
    expect(JSON.stringify((replay as { body: unknown }).body)).toBe(JSON.stringify(body));
    const reused = await settle(service.begin(account, 'k', 'other'));
    expect('error' in reused && reused.error).toBeInstanceOf(HttpProblem);
    expect(reused).toMatchObject({ error: { status: 422, code: 'idempotency_key_reused' } });
  });

  it('answers a key whose task exists without a stored response with that task', async () => {
    const account = randomUUID();
    const claim = claimOf(await service.begin(account, 'k', 'fp'));
    await db.sql.transaction((tx) => service.recordCreated(tx, claim));
    expect(await service.begin(account, 'k', 'fp')).toEqual({ kind: 'created', taskId: claim.taskId });
  });

  it('scopes keys per account', async () => {
    const first = claimOf(await service.begin(randomUUID(), 'shared', 'fp'));
    const second = claimOf(await service.begin(randomUUID(), 'shared', 'fp'));
    expect(second.taskId).not.toBe(first.taskId);
  });

  it('gives a released key back, and whileClaimed releases it when the work fails', async () => {
    const account = randomUUID();
    const claim = claimOf(await service.begin(account, 'k', 'fp'));
    await expect(service.whileClaimed(claim, () => Promise.reject(new DomainError('model_not_found', 'validation', 'no')))).rejects.toMatchObject({
      code: 'model_not_found',
    });
    const again = claimOf(await service.begin(account, 'k', 'another body'));
    expect(again.taskId).not.toBe(claim.taskId);
  });

  it('takes over a stale claim with the same task id; the old holder can then no longer append', async () => {
    const account = randomUUID();
    const old = claimOf(await service.begin(account, 'k', 'fp'));
    await db.sql.query(`UPDATE idempotency_keys SET claimed_at = now() - interval '5 minutes' WHERE account_id = $1`, [account]);
    const taken = claimOf(await service.begin(account, 'k', 'fp'));
    expect(taken.taskId).toBe(old.taskId);
    expect(taken.token).not.toBe(old.token);
    const appendedByOld = db.sql.transaction(async (tx) => {
      await service.recordCreated(tx, old, { status: 202, body: {} });
    });
    await expect(appendedByOld).rejects.toMatchObject({ code: 'idempotency_key_in_progress' });
    await db.sql.transaction((tx) => service.recordCreated(tx, taken, { status: 202, body: { ok: true } }));
    expect(await service.begin(account, 'k', 'fp')).toMatchObject({ kind: 'replay', body: { ok: true } });
  });

  it('forgets an expired key on access and purges the rest', async () => {
    const account = randomUUID();
    const first = claimOf(await service.begin(account, 'k', 'fp'));
    await db.sql.transaction((tx) => service.recordCreated(tx, first, { status: 202, body: {} }));
    claimOf(await service.begin(account, 'other', 'fp'));
    await db.sql.query(`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE account_id = $1`, [account]);
    const fresh = claimOf(await service.begin(account, 'k', 'a new body'));
    expect(fresh.taskId).not.toBe(first.taskId);
    expect(await service.purgeExpired()).toBeGreaterThanOrEqual(1);
    const { rows } = await db.sql.query<{ key: string }>(`SELECT key FROM idempotency_keys WHERE account_id = $1`, [account]);
    expect(rows.map((row) => row.key)).toEqual(['k']);
  });

  it('keeps keys 24 h by default', async () => {
    const account = randomUUID();
    claimOf(await service.begin(account, 'k', 'fp'));
    const { rows } = await db.sql.query<{ hours: number }>(
      `SELECT extract(epoch FROM expires_at - created_at) / 3600 AS hours FROM idempotency_keys WHERE account_id = $1`,
      [account],
    );
    expect(Number(rows[0].hours)).toBeCloseTo(24, 1);
  });
});
