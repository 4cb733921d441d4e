import { randomUUID } from 'node:crypto';
import { TransactionMustRestart, type Sql } from '@darkroom/database';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';
import { GroupCommit } from './group-commit';

jest.setTimeout(30_000);

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql.query(`CREATE TABLE effects (event_id uuid, xid xid8 DEFAULT pg_current_xact_id())`);
});
afterAll(() => db?.drop());

const message = () => ({ eventId: randomUUID() });
const record = (eventId: string) => async (tx: Sql) => {
  await tx.query(`INSERT INTO effects (event_id) VALUES ($1)`, [eventId]);
};
const effects = async (ids: readonly string[]) =>
  (await db.sql.query<{ event_id: string; xid: string }>(`SELECT event_id, xid::text AS xid FROM effects WHERE event_id = ANY($1::uuid[])`, [ids])).rows;
const inboxed = async (ids: readonly string[]) =>
  (await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM inbox WHERE consumer = 'group' AND event_id = ANY($1::uuid[])`, [ids])).rows[0]!.n;

describe('group commit', () => {
  it('commits the messages of a key that wait behind a running transaction together, each once', async () => {
    const group = new GroupCommit(db.sql, 'group');
    const messages = Array.from({ length: 6 }, message);
    const results = await Promise.all(messages.map((m) => group.submit('account-1', m, record(m.eventId))));
    expect(results).toEqual(messages.map(() => true));
    const rows = await effects(messages.map((m) => m.eventId));
    expect(rows).toHaveLength(6);
    // The first ran alone; the five that arrived meanwhile shared the next transaction.
    expect(new Set(rows.map((row) => row.xid)).size).toBe(2);
    expect(await inboxed(messages.map((m) => m.eventId))).toBe(6);
  });

  it('runs a message delivered twice in one batch once, and says so', async () => {
    const group = new GroupCommit(db.sql, 'group');
    const first = message();
    const same = message();
    const results = await Promise.all([
      group.submit('account-2', first, record(first.eventId)),
      group.submit('account-2', same, record(same.eventId)),
      group.submit('account-2', same, record(same.eventId)),
    ]);
    expect(results).toEqual([true, true, false]);
    expect(await effects([same.eventId])).toHaveLength(1);
  });

  it('rejects only the message whose work failed: its writes are undone, the others commit', async () => {
    const group = new GroupCommit(db.sql, 'group');
    const [a, b, c] = [message(), message(), message()];
    const outcomes = await Promise.allSettled([
      group.submit('account-3', a, record(a.eventId)),
      group.submit('account-3', b, async (tx) => {
        await record(b.eventId)(tx);
        throw new Error('handler failed');
      }),
      group.submit('account-3', c, record(c.eventId)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await effects([a.eventId, b.eventId, c.eventId])).map((row) => row.event_id).sort()).toEqual([a.eventId, c.eventId].sort());
    expect(await inboxed([b.eventId])).toBe(0);
  });

  it('runs the whole batch again when one message asks its transaction to start again', async () => {
    const group = new GroupCommit(db.sql, 'group');
    const [a, b] = [message(), message()];
    let asked = false;
    const results = await Promise.all([
      group.submit('account-4', a, record(a.eventId)),
      group.submit('account-4', b, async (tx) => {
        await record(b.eventId)(tx);
        if (!asked) {
          asked = true;
          throw new TransactionMustRestart('again');
        }
      }),
    ]);
    expect(results).toEqual([true, true]);
    expect(await effects([a.eventId, b.eventId])).toHaveLength(2);
  });

  it('keeps keys apart: one key’s failure is not another’s', async () => {
    const group = new GroupCommit(db.sql, 'group');
    const [a, b] = [message(), message()];
    const outcomes = await Promise.allSettled([
      group.submit('account-5', a, async () => {
        throw new Error('no');
      }),
      group.submit('account-6', b, record(b.eventId)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'fulfilled']);
    expect(await effects([b.eventId])).toHaveLength(1);
  });
});
