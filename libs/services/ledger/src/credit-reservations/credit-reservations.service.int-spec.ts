import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { creditAccountStream } from '@darkroom/contracts';
import { PgEventStore } from '@darkroom/event-store';
import { newId, systemClock } from '@darkroom/kernel';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';
import { CreditGrantsService } from '../credit-grants/credit-grants.service';
import { CreditReservationsService } from './credit-reservations.service';

let db: TestDatabase;
let store: PgEventStore;
let reservations: CreditReservationsService;
let grants: CreditGrantsService;

beforeAll(async () => {
  db = await createTestDatabase();
  store = new PgEventStore(db.sql);
  reservations = new CreditReservationsService(store, systemClock);
  grants = new CreditGrantsService(store, systemClock);
});
afterAll(async () => {
  await db?.drop();
});

const items = (count: number) => Array.from({ length: count }, () => ({ reservationId: newId(), amount: 1 }));

describe('CreditReservationsService against PostgreSQL', () => {
  it('holds a whole batch in one decision or nothing, and answers a repeat as the first time', async () => {
    const accountId = newId();
    await grants.grant({ grantId: newId(), accountId, amount: 150, reason: 'test' });
    const short = { accountId, batchId: newId(), items: items(200) };
    expect(await reservations.reserveBatch(short)).toEqual({ kind: 'rejected', reason: 'insufficient_credits', amount: 200, available: 150 });
    expect(await reservations.reserveBatch(short)).toEqual({ kind: 'rejected', reason: 'insufficient_credits', amount: 200, available: 150 });

    await grants.grant({ grantId: newId(), accountId, amount: 100, reason: 'test' });
    const batch = { accountId, batchId: newId(), items: items(200), spender: { user: 'alice' } };
    expect(await reservations.reserveBatch(batch)).toEqual({ kind: 'reserved', amount: 200 });
    expect(await reservations.reserveBatch(batch)).toEqual({ kind: 'reserved', amount: 200 });

    const { rows } = await db.sql.query<{ type: string; n: number; transactions: number }>(
      `SELECT type, count(*)::int AS n, count(DISTINCT transaction_id)::int AS transactions FROM events WHERE stream_id = $1 GROUP BY type ORDER BY type`,
      [creditAccountStream(accountId)],
    );
    expect(rows).toEqual([
      { type: 'CreditsBatchRejected', n: 1, transactions: 1 },
      { type: 'CreditsBatchReserved', n: 1, transactions: 1 },
      { type: 'CreditsGranted', n: 2, transactions: 2 },
      { type: 'CreditsReserved', n: 200, transactions: 1 },
    ]);
  });
});
