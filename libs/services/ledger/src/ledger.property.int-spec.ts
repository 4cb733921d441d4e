import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import fc from 'fast-check';
import { creditAccountStream, routingKey, type CreditAccountEvent, type RecordedEvent } from '@darkroom/contracts';
import { creditAccountDecider, type CreditAccountCommand, type CreditAccountState } from '@darkroom/domain-ledger';
import { PgEventStore } from '@darkroom/event-store';
import { deriveId, DomainError, type Clock } from '@darkroom/kernel';
import { EventContext, handleOnce, type EventMessage } from '@darkroom/messaging';
import { ProjectionRunner, type RowProjection } from '@darkroom/projections';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';
import { creditBalanceProjection } from './credit-balances/credit-balance.projection';
import { listLedgerEntries } from './ledger-entries/ledger-entries.query';
import { ledgerEntryProjection } from './ledger-entries/ledger-entry.projection';
import { LEDGER, LedgerHandlers } from './ledger.handlers';
import { ReservationSweeper } from './reservation-sweeper';

/**
 * Model-based test of the two-phase ledger (issue 5, "Done when"): random sequences of
 * grants, reservations, captures, releases, expiries and clock moves, with exact repeats of
 * the previous step (the same message redelivered: the inbox drops it) and re-sends (the same
 * command in a new message: the decider drops it). Ids come from small pools, so the same
 * grant or reservation id with another amount (a changed duplicate) happens often.
 *
 * After every step, against a plain reference model: the events the step appended are the
 * ones the model predicts (none for a duplicate, an error for a changed duplicate), and the
 * stream's balance holds available ≥ 0, available + reserved + captured = granted, and no
 * reservation resolved twice.
 *
 * Runs twice: thousands of longer sequences against the pure decider, then 1,000 shorter
 * ones against the real ledger (PostgreSQL event store, the consumer inbox, the ledger's own
 * handlers and its expiry sweeper), sixteen at a time on distinct accounts of one database;
 * the projections built from all of it must then match the model too.
 *
 * A failure prints fast-check's seed and path. Replay it with
 *   FC_SEED=<seed> FC_PATH=<path> npx jest libs/services/ledger/src/ledger.property.int-spec.ts --selectProjects int
 * (FC_RUNS=<n> changes the number of runs of both properties.)
 */
jest.setTimeout(240_000);
Logger.overrideLogger(false);

const MAX_AGE_SECONDS = 3600;
const START = Date.parse('2026-11-24T10:00:00.000Z');
const PARALLEL = 16;

type Step =
  | { readonly kind: 'grant'; readonly grant: number; readonly amount: number }
  | { readonly kind: 'reserve'; readonly task: number; readonly amount: number }
  | { readonly kind: 'capture'; readonly task: number }
  | { readonly kind: 'release'; readonly task: number; readonly canceled: boolean }
  | { readonly kind: 'expire'; readonly task: number }
  | { readonly kind: 'advance'; readonly seconds: number }
  /** The previous step's message delivered again (same event id), or for the decider the same command. */
  | { readonly kind: 'redeliver' }
  /** The previous step's command again in a new message (another event id). */
  | { readonly kind: 'resend' };

const task = fc.integer({ min: 0, max: 5 });
const amount = fc.integer({ min: 1, max: 6 });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant('grant' as const), grant: fc.integer({ min: 0, max: 2 }), amount: fc.integer({ min: 1, max: 12 }) }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('reserve' as const), task, amount }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('capture' as const), task }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('release' as const), task, canceled: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('expire' as const), task }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('advance' as const), seconds: fc.integer({ min: 1, max: 2 * MAX_AGE_SECONDS }) }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'redeliver' as const }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'resend' as const }), weight: 2 },
);

const replay = process.env['FC_SEED'] ? { seed: Number(process.env['FC_SEED']), path: process.env['FC_PATH'] } : {};
const runs = (fallback: number) => (process.env['FC_RUNS'] ? Number(process.env['FC_RUNS']) : fallback);

// ---------------------------------------------------------------------------------------
// The reference model: what a correct ledger does, written without the decider.

type Status = 'open' | 'captured' | 'released' | 'rejected';

interface Model {
  now: number;
  readonly grants: Map<string, number>;
  readonly reservations: Map<string, { amount: number; status: Status; reservedAt: number }>;
}

/** What one effective command must produce: events (type and amount) or a refusal. */
type Expected = { readonly events: readonly (readonly [string, number])[] } | { readonly error: string };

/** A command in the ledger's terms; `redeliver` / `resend` repeat the previous one. */
type Effective = Exclude<Step, { kind: 'redeliver' | 'resend' | 'advance' }>;

const grantId = (grant: number) => `grant-${grant}`;

function predict(model: Model, command: Effective, taskIds: readonly string[]): Expected {
  const granted = [...model.grants.values()].reduce((sum, value) => sum + value, 0);
  const held = [...model.reservations.values()];
  const captured = held.filter((r) => r.status === 'captured').reduce((sum, r) => sum + r.amount, 0);
  const reserved = held.filter((r) => r.status === 'open').reduce((sum, r) => sum + r.amount, 0);
  switch (command.kind) {
    case 'grant': {
      const seen = model.grants.get(grantId(command.grant));
      if (seen === undefined) return { events: [['CreditsGranted', command.amount]] };
      return seen === command.amount ? { events: [] } : { error: 'grant_conflict' };
    }
    case 'reserve': {
      const seen = model.reservations.get(taskIds[command.task]!);
      if (seen) return seen.amount === command.amount ? { events: [] } : { error: 'reservation_conflict' };
      const available = granted - captured - reserved;
      return { events: [[command.amount <= available ? 'CreditsReserved' : 'CreditsReservationRejected', command.amount]] };
    }
    case 'capture':
    case 'release':
    case 'expire': {
      const reservation = model.reservations.get(taskIds[command.task]!);
      if (reservation?.status !== 'open') return { events: [] };
      if (command.kind === 'expire' && model.now - reservation.reservedAt < MAX_AGE_SECONDS * 1000) return { events: [] };
      return { events: [[command.kind === 'capture' ? 'CreditsCaptured' : 'CreditsReleased', reservation.amount]] };
    }
    default:
      throw new Error(`unexpected ${JSON.stringify(command)}`);
  }
}

function applyToModel(model: Model, command: Effective, expected: Expected, taskIds: readonly string[]): void {
  if ('error' in expected || expected.events.length === 0) return;
  const [[type]] = expected.events as [[string, number]];
  if (command.kind === 'grant') model.grants.set(grantId(command.grant), command.amount);
  else {
    const id = taskIds[command.task]!;
    if (command.kind === 'reserve') {
      const status: Status = type === 'CreditsReserved' ? 'open' : 'rejected';
      model.reservations.set(id, { amount: command.amount, status, reservedAt: model.now });
    } else {
      model.reservations.get(id)!.status = command.kind === 'capture' ? 'captured' : 'released';
    }
  }
}

/** Balances recomputed from the stream's events alone, with the invariants every step must keep. */
interface Balance {
  readonly granted: number;
  readonly reserved: number;
  readonly captured: number;
  readonly available: number;
}

type AnyEvent = { readonly type: string; readonly data: unknown };

/** What one step did to the stream: the events it appended, and the whole stream after it. */
interface StepOutcome {
  readonly appended: readonly AnyEvent[];
  readonly all: readonly AnyEvent[];
}

function checkInvariants(events: readonly AnyEvent[]): Balance {
  let granted = 0;
  let reserved = 0;
  let captured = 0;
  const resolutions = new Map<string, number>();
  for (const event of events as CreditAccountEvent[]) {
    switch (event.type) {
      case 'CreditsGranted':
        granted += event.data.amount;
        break;
      case 'CreditsReserved':
        reserved += event.data.amount;
        break;
      case 'CreditsReservationRejected':
        break;
      case 'CreditsCaptured':
        reserved -= event.data.amount;
        captured += event.data.amount;
        resolutions.set(event.data.reservationId, (resolutions.get(event.data.reservationId) ?? 0) + 1);
        break;
      case 'CreditsReleased':
        reserved -= event.data.amount;
        resolutions.set(event.data.reservationId, (resolutions.get(event.data.reservationId) ?? 0) + 1);
        break;
    }
  }
  const available = granted - reserved - captured;
  const balance = { granted, reserved, captured, available };
  ensure(available >= 0 && reserved >= 0, () => `a negative balance: ${JSON.stringify(balance)}`);
  ensure(available + reserved + captured === granted, () => `credits created or lost: ${JSON.stringify(balance)}`);
  for (const [reservationId, count] of resolutions) ensure(count === 1, () => `reservation ${reservationId} resolved ${count} times`);
  return balance;
}

/** Walks a sequence: resolves repeats, keeps the model and clock, and checks each step's outcome. */
async function walk(
  steps: readonly Step[],
  taskIds: readonly string[],
  execute: (command: Effective, repeat: 'redeliver' | 'resend' | undefined, now: number) => Promise<StepOutcome>,
): Promise<Model> {
  const model: Model = { now: START, grants: new Map(), reservations: new Map() };
  let previous: Effective | undefined;
  for (const step of steps) {
    if (step.kind === 'advance') {
      model.now += step.seconds * 1000;
      continue;
    }
    const repeat = step.kind === 'redeliver' || step.kind === 'resend' ? step.kind : undefined;
    const command = repeat ? previous : (step as Effective);
    if (!command) continue;
    previous = command;
    const expected = predict(model, command, taskIds);
    let outcome: StepOutcome | undefined;
    let failure: unknown;
    try {
      outcome = await execute(command, repeat, model.now);
    } catch (error) {
      failure = error;
    }
    const what = () => `${JSON.stringify(step)} (${JSON.stringify(command)})`;
    if ('error' in expected) {
      // A redelivered message that failed before fails again: its inbox row was rolled back with it.
      ensure(
        failure instanceof DomainError && failure.code === expected.error,
        () => `${what()} should fail with ${expected.error}, got ${String(failure ?? 'no error')}`,
      );
    } else {
      if (failure) throw failure;
      const appended = JSON.stringify(outcome!.appended.map((event) => [event.type, (event.data as { amount: number }).amount]));
      const wanted = JSON.stringify(expected.events);
      ensure(appended === wanted, () => `${what()} appended ${appended}, expected ${wanted}`);
      applyToModel(model, command, expected, taskIds);
    }
    if (outcome) checkInvariants(outcome.all);
  }
  return model;
}

/** A cheap assertion for the hot loop (jest's `expect` is slow over a million checks). */
function ensure(condition: boolean, message: () => string): void {
  if (!condition) throw new Error(message());
}

function totals(model: Model): Balance {
  const granted = [...model.grants.values()].reduce((sum, value) => sum + value, 0);
  const held = [...model.reservations.values()];
  const captured = held.filter((r) => r.status === 'captured').reduce((sum, r) => sum + r.amount, 0);
  const reserved = held.filter((r) => r.status === 'open').reduce((sum, r) => sum + r.amount, 0);
  return { granted, reserved, captured, available: granted - reserved - captured };
}

// ---------------------------------------------------------------------------------------
// 1. The pure decider.

describe('the credit-account decider against the model', () => {
  it('keeps every invariant through thousands of random sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 25 }), async (steps) => {
        const accountId = 'account-1';
        const taskIds = Array.from({ length: 6 }, (_, index) => `task-${index}`);
        let state: CreditAccountState = creditAccountDecider.initialState();
        let all: CreditAccountEvent[] = [];
        const final = await walk(steps, taskIds, async (command, _repeat, now) => {
          const decided = creditAccountDecider.decide(commandFor(command, accountId, taskIds, new Date(now).toISOString()), state);
          state = decided.reduce(creditAccountDecider.evolve, state);
          all = [...all, ...decided];
          return { appended: decided, all };
        });
        expect(checkInvariants(all)).toEqual(totals(final));
      }),
      { numRuns: runs(3000), ...replay },
    );
  });
});

function commandFor(command: Effective, accountId: string, taskIds: readonly string[], now: string): CreditAccountCommand {
  switch (command.kind) {
    case 'grant':
      return { type: 'GrantCredits', accountId, grantId: grantId(command.grant), amount: command.amount, reason: 'test', now };
    case 'reserve':
      return { type: 'ReserveCredits', accountId, reservationId: taskIds[command.task]!, amount: command.amount, now };
    case 'capture':
      return { type: 'CaptureCredits', accountId, reservationId: taskIds[command.task]!, now };
    case 'release':
      return { type: 'ReleaseCredits', accountId, reservationId: taskIds[command.task]!, now };
    case 'expire':
      return { type: 'ExpireReservation', accountId, reservationId: taskIds[command.task]!, maxAgeSeconds: MAX_AGE_SECONDS, now };
  }
}

// ---------------------------------------------------------------------------------------
// 2. The real ledger service.

describe('the ledger service against the model', () => {
  let db: TestDatabase;
  const finals: { accountId: string; model: Model; events: number }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: PARALLEL + 4 });
  });
  afterAll(() => db?.drop());

  /** One sequence on its own account, through the inbox and the ledger's handlers, like a consumer delivery. */
  async function runSequence(steps: readonly Step[]): Promise<void> {
    const accountId = randomUUID();
    const taskIds = Array.from({ length: 6 }, () => randomUUID());
    const stream = creditAccountStream(accountId);
    const store = new PgEventStore(db.sql);
    let now = START;
    const clock: Clock = { now: () => new Date(now) };
    const handlers = new LedgerHandlers(clock);
    const sweeper = new ReservationSweeper(db.sql, store, clock, { maxAgeSeconds: MAX_AGE_SECONDS, intervalMs: 60_000 });
    let lastMessage: EventMessage | undefined;
    let seen = 0;

    const model = await walk(steps, taskIds, async (command, repeat, at) => {
      now = at;
      if (command.kind === 'grant' || command.kind === 'expire') {
        // Not messages: the admin route's grant and the sweeper's expiry, each run again for a repeat.
        if (command.kind === 'grant') await grant(store, accountId, command.grant, command.amount);
        else await sweeper.expire(accountId, taskIds[command.task]!);
      } else {
        const message = repeat === 'redeliver' && lastMessage ? lastMessage : messageFor(command, accountId, taskIds);
        lastMessage = message;
        await handleOnce(db.sql, LEDGER, message, async (tx, txStore) => {
          const ctx = new EventContext(LEDGER, message, 1, tx, txStore);
          if (command.kind === 'reserve') await handlers.reserve(message as never, ctx);
          else if (command.kind === 'capture') await handlers.capture(message as never, ctx);
          else if (command.canceled) await handlers.releaseOnCancel(message as never, ctx);
          else await handlers.releaseOnFailure(message as never, ctx);
        });
      }
      const all = await store.readStream(stream);
      const appended = all.slice(seen);
      seen = all.length;
      return { appended, all };
    });
    finals.push({ accountId, model, events: seen });
  }

  it('keeps every invariant through 1,008 random sequences, sixteen accounts at a time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(stepArb, { minLength: 1, maxLength: 10 }), { minLength: PARALLEL, maxLength: PARALLEL }),
        async (sequences) => {
          await Promise.all(sequences.map(runSequence));
        },
      ),
      { numRuns: runs(63), ...replay },
    );
    expect(finals.length).toBeGreaterThanOrEqual(replay.seed === undefined ? runs(63) * PARALLEL : 1);
  });

  it('projects the same balances and one linked entry per event', async () => {
    const balances = new ProjectionRunner(db.sql, creditBalanceProjection as RowProjection<unknown>);
    const entries = new ProjectionRunner(db.sql, ledgerEntryProjection as RowProjection<unknown>);
    const expectedEntries = finals.reduce((sum, final) => sum + final.events, 0);
    let last = '';
    await untilTrue(async () => {
      await balances.catchUp();
      await entries.catchUp();
      const { rows } = await db.sql.query<{ count: string; events: string }>(
        `SELECT (SELECT count(*) FROM ledger_entries) AS count, (SELECT count(*) FROM events WHERE stream_id LIKE 'credit-account-%') AS events`,
      );
      last = JSON.stringify({ ...rows[0], expectedEntries });
      return Number(rows[0]!.count) === expectedEntries;
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}: ${last}`);
    });
    // Every event is visible now (the entries have them all): one more pass gives the balances the rest.
    await balances.catchUp();
    for (const { accountId, model, events } of finals) {
      const row = await creditBalanceProjection.load(db.sql, accountId);
      const expected = totals(model);
      const projected = row ? { granted: row.granted, reserved: row.reserved, captured: row.captured, available: row.available } : nothing;
      expect({ accountId, ...projected }).toEqual({ accountId, ...expected });
      const page = await listLedgerEntries(db.sql, accountId, { limit: 100 });
      expect(page.entries).toHaveLength(events);
      const reservedTasks = new Set(page.entries.filter((entry) => entry.type === 'reserved').map((entry) => entry.taskId));
      for (const entry of page.entries.filter((e) => e.type === 'captured' || e.type === 'released')) {
        expect(reservedTasks.has(entry.taskId)).toBe(true);
      }
    }
    // The sweeper's view: exactly the reservations still open in the model are unresolved entries.
    const { rows: open } = await db.sql.query<{ account_id: string; task_id: string }>(
      `SELECT account_id, task_id FROM ledger_entries WHERE type = 'reserved' AND resolved_at IS NULL`,
    );
    const expectedOpen = finals.flatMap(({ accountId, model }) =>
      [...model.reservations.entries()].filter(([, r]) => r.status === 'open').map(() => accountId),
    );
    expect(open.map((row) => row.account_id).sort()).toEqual(expectedOpen.sort());
  });
});

const nothing: Balance = { granted: 0, reserved: 0, captured: 0, available: 0 };

/** As the admin route grants: a grant id per (account, Idempotency-Key), event ids derived from it. */
async function grant(store: PgEventStore, accountId: string, grant: number, amount: number): Promise<void> {
  const id = deriveId('grant', accountId, grantId(grant));
  await store.handle(
    creditAccountStream(accountId),
    creditAccountDecider,
    { type: 'GrantCredits', accountId, grantId: grantId(grant), amount, reason: 'test', now: new Date().toISOString() },
    { metadata: { correlationId: id, accountId, schemaVersion: 1 }, eventId: (index) => deriveId(id, index) },
  );
}

/** The generation event the ledger reacts to, as the relay would deliver it. */
function messageFor(command: Exclude<Effective, { kind: 'grant' | 'expire' }>, accountId: string, taskIds: readonly string[]): EventMessage {
  const taskId = taskIds[command.task]!;
  const type = {
    reserve: 'GenerationCreated',
    capture: 'GenerationCompleted',
    release: command.kind === 'release' && command.canceled ? 'GenerationCanceled' : 'GenerationFailed',
  }[command.kind];
  const data =
    command.kind === 'reserve'
      ? { taskId, request: { accountId, model: 'local', prompt: 'p' }, price: command.amount }
      : { taskId, accountId };
  const recorded: RecordedEvent = {
    eventId: randomUUID(),
    type,
    data,
    metadata: { correlationId: taskId, accountId, schemaVersion: 1 },
    streamId: `generation-${taskId}`,
    streamVersion: 1,
    globalPosition: '1',
    transactionId: '1',
    recordedAt: new Date().toISOString(),
  };
  return { ...recorded, routingKey: routingKey(recorded.streamId, type) };
}

/**
 * Log readers only see transactions older than the cluster's oldest running one, so on a
 * machine shared with other test runs the last events can take a while to become visible.
 */
async function untilTrue(probe: () => Promise<boolean>, timeoutMs = 150_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('projections did not catch up');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
