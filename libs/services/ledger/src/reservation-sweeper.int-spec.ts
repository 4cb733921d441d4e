import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { creditAccountStream } from '@darkroom/contracts';
import { creditAccountDecider } from '@darkroom/domain-ledger';
import { PgEventStore } from '@darkroom/event-store';
import type { Clock } from '@darkroom/kernel';
import { ProjectionRunner, type RowProjection } from '@darkroom/projections';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';
import { ledgerEntryProjection } from '@darkroom/read-model-ledger-entries';
import { deliverToLedger, generationMessage } from './ledger-delivery.fixture';
import { LedgerHandlers } from './ledger.handlers';
import { ReservationSweeper } from './reservation-sweeper';

jest.setTimeout(120_000);
Logger.overrideLogger(false);

const MAX_AGE_SECONDS = 3600;
const T0 = Date.parse('2026-11-24T10:00:00.000Z');

let db: TestDatabase;
let store: PgEventStore;
let entries: ProjectionRunner<unknown>;

beforeAll(async () => {
  db = await createTestDatabase();
  store = new PgEventStore(db.sql);
  entries = new ProjectionRunner(db.sql, ledgerEntryProjection as RowProjection<unknown>);
});
afterAll(() => db?.drop());

const clockAt = (ms: number): Clock => ({ now: () => new Date(ms) });
const sweeperAt = (ms: number) => new ReservationSweeper(db.sql, store, clockAt(ms), { maxAgeSeconds: MAX_AGE_SECONDS, intervalMs: 60_000 });

async function grant(accountId: string, amount: number): Promise<void> {
  await store.handleSubject(
    creditAccountStream(accountId),
    creditAccountDecider,
    { type: 'GrantCredits', accountId, grantId: randomUUID(), amount, reason: 'test', now: new Date(T0).toISOString() },
    { metadata: { correlationId: accountId, accountId, schemaVersion: 1 }, eventId: () => randomUUID() },
  );
}

/** Delivers a generation event to the ledger's handler through the inbox, as the consumer does. */
async function deliver(type: 'GenerationCreated' | 'GenerationCompleted', accountId: string, taskId: string, at: number): Promise<void> {
  await deliverToLedger(db.sql, new LedgerHandlers(clockAt(at)), generationMessage(type, accountId, taskId, 2, new Date(at)));
}

/** Projects until `done` holds: the log becomes visible to readers once older transactions end. */
async function projectUntil(done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1200 && !(await done()); i++) {
    await entries.catchUp();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(await done()).toBe(true);
}

async function entryCount(accountId: string): Promise<number> {
  const { rows } = await db.sql.query<{ count: string }>(`SELECT count(*) AS count FROM ledger_entries WHERE account_id = $1`, [accountId]);
  return Number(rows[0]!.count);
}

async function creditEvents(accountId: string) {
  const events = await store.readStream(creditAccountStream(accountId));
  return events.map((event) => ({ type: event.type, ...(event.data as { reservationId?: string; reason?: string }) }));
}

describe('the reservation sweeper', () => {
  it('releases only reservations open past the maximum age, once, and a later capture changes nothing', async () => {
    const accountId = randomUUID();
    const [old, young, settled] = [randomUUID(), randomUUID(), randomUUID()];
    await grant(accountId, 10);
    await deliver('GenerationCreated', accountId, old, T0);
    await deliver('GenerationCreated', accountId, settled, T0);
    await deliver('GenerationCompleted', accountId, settled, T0 + 1000);
    await deliver('GenerationCreated', accountId, young, T0 + 30 * 60_000);
    await projectUntil(async () => (await entryCount(accountId)) === 5);

    const now = T0 + MAX_AGE_SECONDS * 1000 + 1000;
    const expired = await sweeperAt(now).sweep();

    const events = await creditEvents(accountId);
    const releases = events.filter((event) => event.type === 'CreditsReleased');
    expect(releases).toEqual([expect.objectContaining({ reservationId: old, reason: 'expired', amount: 2, releasedAt: new Date(now).toISOString() })]);
    expect(expired).toBeGreaterThanOrEqual(1);

    // The task completing after all: nothing is charged for an expired reservation.
    await deliver('GenerationCompleted', accountId, old, now + 1000);
    expect(await creditEvents(accountId)).toEqual(events);

    // Once projected, the expired reservation is resolved and the next sweep finds nothing of it.
    await projectUntil(async () => (await entryCount(accountId)) === 6);
    const { rows } = await db.sql.query<{ task_id: string; resolved_at: Date | null }>(
      `SELECT task_id, resolved_at FROM ledger_entries WHERE account_id = $1 AND type = 'reserved' ORDER BY task_id`,
      [accountId],
    );
    expect(Object.fromEntries(rows.map((row) => [row.task_id, row.resolved_at !== null]))).toEqual({ [old]: true, [settled]: true, [young]: false });
    await sweeperAt(now).sweep();
    expect(await creditEvents(accountId)).toEqual(events);
  });

  it('releases each reservation exactly once when several ledger instances sweep at the same time', async () => {
    const accountId = randomUUID();
    const tasks = Array.from({ length: 20 }, () => randomUUID());
    await grant(accountId, 100);
    for (const taskId of tasks) await deliver('GenerationCreated', accountId, taskId, T0);
    await projectUntil(async () => (await entryCount(accountId)) === 21);

    const now = T0 + 2 * MAX_AGE_SECONDS * 1000;
    const counts = await Promise.all([sweeperAt(now), sweeperAt(now), sweeperAt(now)].map((sweeper) => sweeper.sweep()));

    const releases = (await creditEvents(accountId)).filter((event) => event.type === 'CreditsReleased');
    expect(releases.map((event) => event.reservationId).sort()).toEqual([...tasks].sort());
    expect(releases.every((event) => event.reason === 'expired')).toBe(true);
    // Other tests' reservations in this database are not this account's; ours were expired by exactly one sweeper each.
    expect(counts.reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(tasks.length);
  });
});
