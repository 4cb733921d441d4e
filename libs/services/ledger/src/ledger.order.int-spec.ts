import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { creditAccountStream } from '@darkroom/contracts';
import { creditAccountDecider } from '@darkroom/domain-ledger';
import { PgEventStore } from '@darkroom/event-store';
import type { Clock } from '@darkroom/kernel';
import { ProjectionRunner, type RowProjection } from '@darkroom/projections';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';
import { creditBalanceProjection } from '@darkroom/read-model-credit-balances';
import { ledgerEntryProjection } from '@darkroom/read-model-ledger-entries';
import { deliverToLedger, generationMessage } from './ledger-delivery.fixture';
import { LedgerHandlers } from './ledger.handlers';

/**
 * Issue 12: competing consumers, retries and redeliveries hand a task's events to the ledger
 * in any order. Each task here meets the ledger in every order of four deliveries — its
 * GenerationCreated, its terminal event, the same GenerationCreated redelivered, and the
 * terminal event sent again as a new message — for each way a task ends, on a funded and an
 * unfunded account. Balances, entries and release reasons must be those of commit order
 * (created, then terminal), and nothing may stay reserved.
 */
jest.setTimeout(180_000);
Logger.overrideLogger(false);

type Terminal = 'GenerationCompleted' | 'GenerationFailed' | 'GenerationCanceled';
type Delivery = 'created' | 'terminal' | 'created again' | 'terminal resent';

const TERMINALS: readonly Terminal[] = ['GenerationCompleted', 'GenerationFailed', 'GenerationCanceled'];
const DELIVERIES: readonly Delivery[] = ['created', 'terminal', 'created again', 'terminal resent'];
const PRICE = 3;
const clock: Clock = { now: () => new Date('2026-12-07T10:00:00.000Z') };

interface Scenario {
  readonly terminal: Terminal;
  /** Credits granted before the task: enough for it, or not. */
  readonly granted: number;
  readonly order: readonly Delivery[];
}

interface Outcome {
  readonly balance: { granted: number; reserved: number; captured: number; available: number };
  /** (type, amount, reason) of every entry of the task, sorted. */
  readonly entries: readonly string[];
}

let db: TestDatabase;
let store: PgEventStore;
const handlers = new LedgerHandlers(clock);

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  store = new PgEventStore(db.sql);
});
afterAll(() => db?.drop());

describe('ledger settlement whatever order a task’s events arrive in', () => {
  const scenarios: Scenario[] = TERMINALS.flatMap((terminal) =>
    [10, 1].flatMap((granted) => permutations(DELIVERIES).map((order) => ({ terminal, granted, order }))),
  );

  it(`gives the balances, entries and reasons of commit order in all ${scenarios.length} orders`, async () => {
    const runs = await inBatches(scenarios, 8, async (scenario) => ({ scenario, accountId: await run(scenario) }));
    const references = await inBatches(
      TERMINALS.flatMap((terminal) => [10, 1].map((granted) => ({ terminal, granted, order: ['created', 'terminal'] as const }))),
      8,
      async (scenario) => ({ scenario, accountId: await run(scenario) }),
    );
    await projectEverything();

    for (const { scenario, accountId } of runs) {
      const reference = references.find((r) => r.scenario.terminal === scenario.terminal && r.scenario.granted === scenario.granted)!;
      const expected = await outcome(reference.accountId);
      const actual = await outcome(accountId);
      expect({ ...scenario, ...actual }).toEqual({ ...scenario, ...expected });
      expect(actual.balance.reserved).toBe(0);
    }
    // The references themselves, spelled out: what commit order charges and returns.
    const spelled = await Promise.all(references.map(async ({ scenario, accountId }) => [scenario.terminal, scenario.granted, (await outcome(accountId)).entries]));
    expect(spelled).toEqual([
      ['GenerationCompleted', 10, ['captured 3 -', 'granted 10 test', 'reserved 3 -']],
      ['GenerationCompleted', 1, ['granted 1 test', 'reservation_rejected 3 insufficient_credits']],
      ['GenerationFailed', 10, ['granted 10 test', 'released 3 generation_failed', 'reserved 3 -']],
      ['GenerationFailed', 1, ['granted 1 test', 'reservation_rejected 3 insufficient_credits']],
      ['GenerationCanceled', 10, ['granted 10 test', 'released 3 generation_canceled', 'reserved 3 -']],
      ['GenerationCanceled', 1, ['granted 1 test', 'reservation_rejected 3 insufficient_credits']],
    ]);
  });
});

/** One task on a fresh account, its deliveries in the scenario's order; returns the account. */
async function run({ terminal, granted, order }: Scenario): Promise<string> {
  const accountId = randomUUID();
  const taskId = randomUUID();
  await store.handleSubject(
    creditAccountStream(accountId),
    creditAccountDecider,
    { type: 'GrantCredits', accountId, grantId: 'g', amount: granted, reason: 'test', now: clock.now().toISOString() },
    { metadata: { correlationId: accountId, accountId, schemaVersion: 1 }, eventId: () => randomUUID() },
  );
  const created = generationMessage('GenerationCreated', accountId, taskId, PRICE, clock.now());
  const ended = generationMessage(terminal, accountId, taskId, PRICE, clock.now());
  for (const delivery of order) {
    const sent = delivery === 'created' || delivery === 'created again' ? created : delivery === 'terminal' ? ended : { ...ended, eventId: randomUUID() };
    await deliverToLedger(db.sql, handlers, sent);
  }
  return accountId;
}

/** Runs both ledger projections until every credit movement in the log has its entry. */
async function projectEverything(): Promise<void> {
  const balances = new ProjectionRunner(db.sql, creditBalanceProjection as RowProjection<unknown>);
  const entries = new ProjectionRunner(db.sql, ledgerEntryProjection as RowProjection<unknown>);
  for (let attempt = 0; attempt < 3000; attempt++) {
    await entries.catchUp();
    await balances.catchUp();
    const { rows } = await db.sql.query<{ done: boolean }>(
      `SELECT (SELECT count(*) FROM ledger_entries) =
              (SELECT count(*) FROM events WHERE stream_id LIKE 'credit-account-%' AND type <> 'CreditsSettlementDeferred') AS done`,
    );
    if (rows[0]!.done) {
      await balances.catchUp();
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the ledger projections did not catch up');
}

async function outcome(accountId: string): Promise<Outcome> {
  const row = await creditBalanceProjection.load(db.sql, accountId);
  const { rows } = await db.sql.query<{ entry: string }>(
    `SELECT type || ' ' || amount || ' ' || coalesce(reason, '-') AS entry FROM ledger_entries WHERE account_id = $1 ORDER BY 1`,
    [accountId],
  );
  return {
    balance: { granted: row!.granted, reserved: row!.reserved, captured: row!.captured, available: row!.available },
    entries: rows.map((r) => r.entry),
  };
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) => permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]));
}

async function inBatches<T, R>(items: readonly T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) results.push(...(await Promise.all(items.slice(start, start + size).map(work))));
  return results;
}
