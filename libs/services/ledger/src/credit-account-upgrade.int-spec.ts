import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { creditAccountStream } from '@darkroom/contracts';
import { migrations, runMigrations } from '@darkroom/database';
import { creditAccountDecider, type CreditAccountCommand } from '@darkroom/domain-ledger';
import { PgEventStore } from '@darkroom/event-store';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';

/**
 * Issue 12's upgrade path: a database whose credit streams were written before events had
 * subjects and streams had snapshots. Migrating it is the only step; the ledger then answers
 * from those old streams as before (duplicates refused, open reservations settled, balances
 * kept), starting from the snapshot the migration took.
 */
jest.setTimeout(60_000);

const BEFORE_SUBJECTS = migrations.findIndex((migration) => migration.name.startsWith('StreamSubjectsAndSnapshots'));

let db: TestDatabase;
let store: PgEventStore;
const accountId = randomUUID();
const stream = creditAccountStream(accountId);
const now = '2026-12-07T10:00:00.000Z';

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
  const old = new DataSource({
    type: 'postgres',
    url: db.url,
    migrations: migrations.slice(0, BEFORE_SUBJECTS),
    migrationsTableName: 'schema_migrations',
  });
  await old.initialize();
  await runMigrations(old);
  // As the ledger wrote them then: a grant, a captured task, a released one, one still open.
  const data = (type: string, extra: object) => ({ type, data: { accountId, ...extra } });
  const history = [
    data('CreditsGranted', { grantId: 'g1', amount: 10, reason: 'test', grantedAt: now }),
    data('CreditsReserved', { reservationId: 'captured', amount: 2, reservedAt: now }),
    data('CreditsCaptured', { reservationId: 'captured', amount: 2, capturedAt: now }),
    data('CreditsReserved', { reservationId: 'released', amount: 3, reservedAt: now }),
    data('CreditsReleased', { reservationId: 'released', amount: 3, releasedAt: now, reason: 'generation_failed' }),
    data('CreditsReserved', { reservationId: 'open', amount: 4, reservedAt: now }),
  ];
  for (const [index, event] of history.entries()) {
    await old.query(
      `INSERT INTO events (stream_id, stream_version, event_id, type, data, metadata) VALUES ($1, $2, $3, $4, $5, $6)`,
      [stream, index + 1, randomUUID(), event.type, JSON.stringify(event.data), JSON.stringify({ correlationId: 'c', schemaVersion: 1 })],
    );
  }
  await old.destroy();
  await runMigrations(db.dataSource);
  store = new PgEventStore(db.sql);
});
afterAll(() => db?.drop());

const handle = (command: CreditAccountCommand) =>
  store.handleSubject(stream, creditAccountDecider, command, {
    metadata: { correlationId: 'c', accountId, schemaVersion: 1 },
    eventId: () => randomUUID(),
  });

const snapshot = async () =>
  (await db.sql.query<{ stream_version: number; state: unknown }>(`SELECT stream_version, state FROM stream_snapshots WHERE stream_id = $1`, [stream]))
    .rows[0];

describe('a credit account written before snapshots', () => {
  it('gets subjects for its old events and its snapshot from the migration', async () => {
    expect(await snapshot()).toEqual({ stream_version: 6, state: { granted: 10, captured: 2, reserved: 4, caps: {} } });
    // Renamed to the summary with spend caps by migration 0040: no account folds its past again.
    const { rows: named } = await db.sql.query<{ name: string }>(`SELECT name FROM stream_snapshots WHERE stream_id = $1`, [stream]);
    expect(named).toEqual([{ name: creditAccountDecider.snapshotName }]);
    const { rows } = await db.sql.query<{ subject: string }>(`SELECT subject FROM events WHERE stream_id = $1 ORDER BY stream_version`, [stream]);
    expect(rows.map((row) => row.subject)).toEqual([
      'grant:g1',
      'reservation:captured',
      'reservation:captured',
      'reservation:released',
      'reservation:released',
      'reservation:open',
    ]);
  });

  it('answers duplicates of its old reservations and grants from their history', async () => {
    expect((await handle({ type: 'ReserveCredits', accountId, reservationId: 'captured', amount: 2, now })).events).toEqual([]);
    expect((await handle({ type: 'CaptureCredits', accountId, reservationId: 'released', now })).events).toEqual([]);
    expect((await handle({ type: 'GrantCredits', accountId, grantId: 'g1', amount: 10, reason: 'again', now })).events).toEqual([]);
    await expect(handle({ type: 'ReserveCredits', accountId, reservationId: 'released', amount: 9, now })).rejects.toMatchObject({
      code: 'reservation_conflict',
    });
  });

  it('moves the snapshot with every command that appends', async () => {
    expect(await snapshot()).toEqual({ stream_version: 6, state: { granted: 10, captured: 2, reserved: 4, caps: {} } });
    // Available is 10 − 2 captured − 4 open = 4: five is refused, four is taken.
    expect((await handle({ type: 'ReserveCredits', accountId, reservationId: 'new-1', amount: 5, now })).events.map((e) => e.type)).toEqual([
      'CreditsReservationRejected',
    ]);
    const taken = await handle({ type: 'ReserveCredits', accountId, reservationId: 'new-2', amount: 4, now });
    expect(taken.events.map((e) => e.type)).toEqual(['CreditsReserved']);
    expect(taken.state.summary).toEqual({ granted: 10, captured: 2, reserved: 8, caps: {} });
    expect(await snapshot()).toEqual({ stream_version: 8, state: { granted: 10, captured: 2, reserved: 8, caps: {} } });
  });

  it('settles the reservation left open before the upgrade, once', async () => {
    const first = await handle({ type: 'CaptureCredits', accountId, reservationId: 'open', now });
    expect(first.events).toEqual([{ type: 'CreditsCaptured', data: { accountId, reservationId: 'open', amount: 4, capturedAt: now } }]);
    expect((await handle({ type: 'ReleaseCredits', accountId, reservationId: 'open', now })).events).toEqual([]);
    expect(first.state.summary).toEqual({ granted: 10, captured: 6, reserved: 4, caps: {} });
  });

  it('ignores a snapshot taken under another name and folds the log again', async () => {
    await db.sql.query(`UPDATE stream_snapshots SET name = 'something-older', state = '{"granted": 999}' WHERE stream_id = $1`, [stream]);
    // Nothing is left (10 − 6 captured − 4 open): the stale snapshot's 999 granted would have said otherwise.
    const result = await handle({ type: 'ReserveCredits', accountId, reservationId: 'new-3', amount: 1, now });
    expect(result.events.map((e) => e.type)).toEqual(['CreditsReservationRejected']);
    expect(result.state.summary).toEqual({ granted: 10, captured: 6, reserved: 4, caps: {} });
  });
});
