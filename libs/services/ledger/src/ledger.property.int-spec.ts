import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import fc from 'fast-check';
import { creditAccountStream, type CreditAccountEvent } from '@darkroom/contracts';
import { creditAccountDecider, type CreditAccountCommand } from '@darkroom/domain-ledger';
import { PgEventStore } from '@darkroom/event-store';
import { deriveId, DomainError, foldSubject, type Clock } from '@darkroom/kernel';
import type { EventMessage } from '@darkroom/messaging';
import { ProjectionRunner, type RowProjection } from '@darkroom/projections';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';
import { creditBalanceProjection } from '@darkroom/read-model-credit-balances';
import { pastTaskId, seedCreditHistory, type CreditHistory } from './credit-history.seed';
import { ledgerEntryProjection, listLedgerEntries } from '@darkroom/read-model-ledger-entries';
import { deliverToLedger, generationMessage } from './ledger-delivery.fixture';
import { LedgerHandlers } from './ledger.handlers';
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
 * Every account starts with a long past (issue 12): a grant and a hundred settled tasks,
 * written straight into the log as an account older than snapshots would have it. Two of
 * those old tasks are in every sequence's pool, so duplicates and late settlements of
 * reservations closed long ago happen often. A capture or release of a reservation not made
 * yet is deferred, and the reservation is settled as it is made.
 *
 * Runs twice: thousands of longer sequences against the pure decider, then 640 shorter
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

/** Six new tasks, then two settled long ago (one captured, one released). */
const task = fc.integer({ min: 0, max: 7 });
const NEW_TASKS = 6;
/** The account's past; the pure run folds it, the service run seeds it into the log. */
const PAST: CreditHistory = { tasks: 100, amount: 1, granted: 80 };
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
  /** Settlements that came before their reservation, by task id. */
  readonly deferred: Map<string, 'capture' | 'release'>;
}

/** The model of an account with `PAST` behind it; `pastIds` are the task ids of its last two past tasks. */
function modelWithPast(pastIds: readonly [string, string]): Model {
  const model: Model = { now: START, grants: new Map([['past-grant', PAST.granted]]), reservations: new Map(), deferred: new Map() };
  for (let index = 0; index < PAST.tasks; index += 1) {
    const status: Status = index % 2 === 1 ? 'captured' : 'released';
    model.reservations.set(`past-${index}`, { amount: PAST.amount, status, reservedAt: 0 });
  }
  // The pool's two old ids stand for the last two past tasks (captured, then released).
  const [captured, released] = pastIds;
  model.reservations.delete(`past-${PAST.tasks - 1}`);
  model.reservations.delete(`past-${PAST.tasks - 2}`);
  model.reservations.set(captured, { amount: PAST.amount, status: 'captured', reservedAt: 0 });
  model.reservations.set(released, { amount: PAST.amount, status: 'released', reservedAt: 0 });
  return model;
}

/** The pool of task ids of a sequence: six new ones, then the last two past tasks. */
function taskPool(newIds: readonly string[], pastIds: readonly [string, string]): string[] {
  return [...newIds, ...pastIds];
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
      const id = taskIds[command.task]!;
      const seen = model.reservations.get(id);
      if (seen) return seen.amount === command.amount ? { events: [] } : { error: 'reservation_conflict' };
      const available = granted - captured - reserved;
      if (command.amount > available) return { events: [['CreditsReservationRejected', command.amount]] };
      const deferred = model.deferred.get(id);
      const settled = deferred ? [[deferred === 'capture' ? 'CreditsCaptured' : 'CreditsReleased', command.amount] as const] : [];
      return { events: [['CreditsReserved', command.amount], ...settled] };
    }
    case 'capture':
    case 'release':
    case 'expire': {
      const id = taskIds[command.task]!;
      const reservation = model.reservations.get(id);
      if (!reservation && command.kind !== 'expire') return { events: model.deferred.has(id) ? [] : [['CreditsSettlementDeferred', 0]] };
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
  const types = expected.events.map(([type]) => type);
  if (command.kind === 'grant') {
    model.grants.set(grantId(command.grant), command.amount);
    return;
  }
  const id = taskIds[command.task]!;
  if (command.kind === 'reserve') {
    const status: Status = types.includes('CreditsCaptured')
      ? 'captured'
      : types.includes('CreditsReleased')
        ? 'released'
        : types[0] === 'CreditsReserved'
          ? 'open'
          : 'rejected';
    model.reservations.set(id, { amount: command.amount, status, reservedAt: model.now });
  } else if (types[0] === 'CreditsSettlementDeferred') {
    model.deferred.set(id, command.kind === 'capture' ? 'capture' : 'release');
  } else {
    model.reservations.get(id)!.status = command.kind === 'capture' ? 'captured' : 'released';
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
      case 'CreditsSettlementDeferred':
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
  model: Model,
  execute: (command: Effective, repeat: 'redeliver' | 'resend' | undefined, now: number) => Promise<StepOutcome>,
): Promise<Model> {
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
      const appended = JSON.stringify(outcome!.appended.map((event) => [event.type, (event.data as { amount?: number }).amount ?? 0]));
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
        const pastIds: [string, string] = [`past-${PAST.tasks - 1}`, `past-${PAST.tasks - 2}`];
        const taskIds = taskPool(
          Array.from({ length: NEW_TASKS }, (_, index) => `task-${index}`),
          pastIds,
        );
        const all: CreditAccountEvent[] = [...pastEvents];
        const final = await walk(steps, taskIds, modelWithPast(pastIds), async (command, _repeat, now) => {
          const decided = decideAfter(all, commandFor(command, accountId, taskIds, new Date(now).toISOString()));
          all.push(...decided);
          return { appended: decided, all };
        });
        expect(checkInvariants(all)).toEqual(totals(final));
      }),
      { numRuns: runs(3000), ...replay },
    );
  });
});

/** The pure run's past, as `seedCreditHistory` writes it (ids `past-<n>`). */
const pastEvents: readonly CreditAccountEvent[] = [
  { type: 'CreditsGranted', data: { accountId: 'account-1', grantId: 'past-grant', amount: PAST.granted, reason: 'history', grantedAt: '2025-01-01T00:00:00.000Z' } },
  ...Array.from({ length: PAST.tasks }, (_, index): CreditAccountEvent[] => {
    const base = { accountId: 'account-1', reservationId: `past-${index}`, amount: PAST.amount };
    return [
      { type: 'CreditsReserved', data: { ...base, reservedAt: '2025-01-01T00:00:00.000Z' } },
      index % 2 === 1
        ? { type: 'CreditsCaptured', data: { ...base, capturedAt: '2025-01-01T00:00:00.000Z' } }
        : { type: 'CreditsReleased', data: { ...base, releasedAt: '2025-01-01T00:00:00.000Z', reason: 'generation_failed' } },
    ];
  }).flat(),
];

/** What the store does, without it: the totals of everything before, and the history of the command's subject. */
function decideAfter(events: readonly CreditAccountEvent[], command: CreditAccountCommand): readonly CreditAccountEvent[] {
  return creditAccountDecider.decide(command, foldSubject(creditAccountDecider, events, creditAccountDecider.subjectOf(command)));
}

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
  /** Per account: the model after its sequence, and how many entries its log makes (a deferred settlement makes none). */
  const finals: { accountId: string; model: Model; entries: number }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: PARALLEL + 4 });
  });
  afterAll(() => db?.drop());

  /** One sequence on its own account, through the inbox and the ledger's handlers, like a consumer delivery. */
  async function runSequence(steps: readonly Step[]): Promise<void> {
    const accountId = randomUUID();
    await seedCreditHistory(db.sql, accountId, PAST);
    const pastIds: [string, string] = [pastTaskId(accountId, PAST.tasks - 1), pastTaskId(accountId, PAST.tasks - 2)];
    const taskIds = taskPool(
      Array.from({ length: NEW_TASKS }, () => randomUUID()),
      pastIds,
    );
    const stream = creditAccountStream(accountId);
    const store = new PgEventStore(db.sql);
    let now = START;
    const clock: Clock = { now: () => new Date(now) };
    const handlers = new LedgerHandlers(clock);
    const sweeper = new ReservationSweeper(db.sql, store, clock, { maxAgeSeconds: MAX_AGE_SECONDS, intervalMs: 60_000 });
    let lastMessage: EventMessage | undefined;
    let seen = 1 + 2 * PAST.tasks;

    const model = await walk(steps, taskIds, modelWithPast(pastIds), async (command, repeat, at) => {
      now = at;
      if (command.kind === 'grant' || command.kind === 'expire') {
        // Not messages: the admin route's grant and the sweeper's expiry, each run again for a repeat.
        if (command.kind === 'grant') await grant(store, accountId, command.grant, command.amount);
        else await sweeper.expire(accountId, taskIds[command.task]!);
      } else {
        const message = repeat === 'redeliver' && lastMessage ? lastMessage : messageFor(command, accountId, taskIds);
        lastMessage = message;
        await deliverToLedger(db.sql, handlers, message);
      }
      const all = await store.readStream(stream);
      const appended = all.slice(seen);
      seen = all.length;
      return { appended, all };
    });
    const { rows } = await db.sql.query<{ entries: number }>(
      `SELECT count(*)::int AS entries FROM events WHERE stream_id = $1 AND type <> 'CreditsSettlementDeferred'`,
      [stream],
    );
    finals.push({ accountId, model, entries: rows[0]!.entries });
  }

  it('keeps every invariant through 640 random sequences, sixteen accounts at a time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(stepArb, { minLength: 1, maxLength: 10 }), { minLength: PARALLEL, maxLength: PARALLEL }),
        async (sequences) => {
          await Promise.all(sequences.map(runSequence));
        },
      ),
      { numRuns: runs(40), ...replay },
    );
    expect(finals.length).toBeGreaterThanOrEqual(replay.seed === undefined ? runs(40) * PARALLEL : 1);
  });

  it('projects the same balances and one linked entry per event', async () => {
    const balances = new ProjectionRunner(db.sql, creditBalanceProjection as RowProjection<unknown>);
    const entries = new ProjectionRunner(db.sql, ledgerEntryProjection as RowProjection<unknown>);
    const expectedEntries = finals.reduce((sum, final) => sum + final.entries, 0);
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
    for (const { accountId, model, entries } of finals) {
      const row = await creditBalanceProjection.load(db.sql, accountId);
      const expected = totals(model);
      const projected = row ? { granted: row.granted, reserved: row.reserved, captured: row.captured, available: row.available } : nothing;
      expect({ accountId, ...projected }).toEqual({ accountId, ...expected });
      const { rows: counted } = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ledger_entries WHERE account_id = $1`, [
        accountId,
      ]);
      expect(counted[0]!.n).toBe(entries);
      // The newest entries (the sequence's own, past the seeded history): each settlement follows its reservation.
      const page = await listLedgerEntries(db.sql, accountId, { limit: 100 });
      const reservedTasks = new Set(page.entries.filter((entry) => entry.type === 'reserved').map((entry) => entry.taskId));
      for (const entry of page.entries.filter((e) => e.type === 'captured' || e.type === 'released').slice(0, 20)) {
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
  await store.handleSubject(
    creditAccountStream(accountId),
    creditAccountDecider,
    { type: 'GrantCredits', accountId, grantId: grantId(grant), amount, reason: 'test', now: new Date().toISOString() },
    { metadata: { correlationId: id, accountId, schemaVersion: 1 }, eventId: (index) => deriveId(id, index) },
  );
}

/** The generation event the ledger reacts to, as the relay would deliver it. */
function messageFor(command: Exclude<Effective, { kind: 'grant' | 'expire' }>, accountId: string, taskIds: readonly string[]): EventMessage {
  const taskId = taskIds[command.task]!;
  if (command.kind === 'reserve') return generationMessage('GenerationCreated', accountId, taskId, command.amount);
  if (command.kind === 'capture') return generationMessage('GenerationCompleted', accountId, taskId);
  return generationMessage(command.canceled ? 'GenerationCanceled' : 'GenerationFailed', accountId, taskId);
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
