import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { creditAccountStream, type CreditAccountEvent } from '@darkroom/contracts';
import { capKey, creditAccountDecider } from '@darkroom/domain-ledger';
import { PgEventStore } from '@darkroom/event-store';
import type { Clock } from '@darkroom/kernel';
import { ProjectionRunner, type RowProjection } from '@darkroom/projections';
import { keySpendUsageProjection, loadSpendUsage, userSpendUsageProjection } from '@darkroom/read-model-spend-usage';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';
import { CreditGrantsService } from '../credit-grants/credit-grants.service';
import { deliverToLedger, generationMessage } from '../ledger-delivery.fixture';
import { LedgerHandlers } from '../ledger.handlers';
import { SpendCapsService } from './spend-caps.service';

/**
 * Issue 18: a cap is decided inside the credit reservation, so no amount of concurrency lets
 * an end user reserve past it. 500 reservations of one user race on a real PostgreSQL, each
 * in its own transaction as the ledger's consumer runs them.
 */
jest.setTimeout(240_000);
Logger.overrideLogger(false);

const clock: Clock = { now: () => new Date('2026-12-08T10:00:00.000Z') };
const alice = { keyId: randomUUID(), user: 'alice' };

let db: TestDatabase;
let store: PgEventStore;
const handlers = new LedgerHandlers(clock);

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 16 });
  store = new PgEventStore(db.sql);
});
afterAll(() => db?.drop());

describe('spend caps under concurrency', () => {
  it('reserves exactly 100 credits for a user capped at 100, of 500 concurrent requests', async () => {
    const accountId = randomUUID();
    await new CreditGrantsService(store, clock).grant({ grantId: 'g', accountId, amount: 10_000, reason: 'test' });
    const caps = new SpendCapsService(store, clock);
    expect(await caps.set({ accountId, scope: 'user', id: 'alice', period: 'day', limit: 100 })).toEqual({
      scope: 'user',
      id: 'alice',
      period: 'day',
      limit: 100,
      window: '2026-12-08',
      used: 0,
    });

    const tasks = Array.from({ length: 500 }, () => randomUUID());
    const results = await Promise.allSettled(
      tasks.map((taskId) => deliverToLedger(db.sql, handlers, generationMessage('GenerationCreated', accountId, taskId, 1, clock.now(), alice))),
    );
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);

    const events = await store.readStream<CreditAccountEvent>(creditAccountStream(accountId));
    const reserved = events.filter((event) => event.type === 'CreditsReserved');
    const refused = events.filter((event) => event.type === 'CreditsReservationRejected');
    expect(reserved.reduce((sum, event) => sum + event.data.amount, 0)).toBe(100);
    expect(refused).toHaveLength(400);
    expect(new Set(refused.map((event) => event.data.reason))).toEqual(new Set(['spend_cap_reached']));

    // The summary, the balance and the usage read model agree.
    const state = await summaryOf(accountId);
    expect(state.caps[capKey('user', 'day', 'alice')]?.used).toBe(100);
    expect(state.granted - state.captured - state.reserved).toBe(9_900);
    await project();
    const [row] = await loadSpendUsage(db.sql, 'user', accountId, ['alice']);
    expect(row).toMatchObject({ dayCredits: 100, monthCredits: 100, dayLimit: 100, monthLimit: null });
    const [keyRow] = await loadSpendUsage(db.sql, 'key', accountId, [alice.keyId]);
    expect(keyRow).toMatchObject({ dayCredits: 100, dayLimit: null });

    // A failed task gives its credit back to the cap: exactly one more then fits, of 20 racing.
    const reservedTask = reserved[0]!.data.reservationId;
    await deliverToLedger(db.sql, handlers, generationMessage('GenerationFailed', accountId, reservedTask));
    await Promise.all(
      Array.from({ length: 20 }, () =>
        deliverToLedger(db.sql, handlers, generationMessage('GenerationCreated', accountId, randomUUID(), 1, clock.now(), alice)),
      ),
    );
    expect((await summaryOf(accountId)).caps[capKey('user', 'day', 'alice')]?.used).toBe(100);
    const after = await store.readStream<CreditAccountEvent>(creditAccountStream(accountId));
    expect(after.filter((event) => event.type === 'CreditsReserved')).toHaveLength(101);
  });
});

/** The account's summary as the next command sees it (folded: the test reads, the decider decides). */
async function summaryOf(accountId: string) {
  const events = await store.readStream<CreditAccountEvent>(creditAccountStream(accountId));
  return events.reduce<ReturnType<typeof creditAccountDecider.initialSummary>>(creditAccountDecider.evolveSummary, creditAccountDecider.initialSummary());
}

async function project(): Promise<void> {
  for (const projection of [keySpendUsageProjection, userSpendUsageProjection]) {
    await new ProjectionRunner(db.sql, projection as RowProjection<unknown>).catchUp();
  }
}
