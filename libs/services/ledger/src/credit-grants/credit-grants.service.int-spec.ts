import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { creditAccountStream } from '@darkroom/contracts';
import { PgEventStore } from '@darkroom/event-store';
import { newId, systemClock } from '@darkroom/kernel';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';
import { CreditGrantsService } from './credit-grants.service';

let db: TestDatabase;
let store: PgEventStore;
let grants: CreditGrantsService;

beforeAll(async () => {
  db = await createTestDatabase();
  store = new PgEventStore(db.sql);
  grants = new CreditGrantsService(store, systemClock);
});
afterAll(async () => {
  await db?.drop();
});

describe('CreditGrantsService against PostgreSQL', () => {
  it('grants once per grant id and answers with what is available', async () => {
    const accountId = newId();
    const grantId = newId();
    expect(await grants.grant({ grantId, accountId, amount: 10, reason: 'test' })).toEqual({ grantId, available: 10 });
    expect(await grants.grant({ grantId, accountId, amount: 10, reason: 'test' })).toEqual({ grantId, available: 10 });
    expect(await grants.grant({ grantId: newId(), accountId, amount: 5, reason: 'test' })).toMatchObject({ available: 15 });
    const granted = (await store.readStream(creditAccountStream(accountId))).filter((event) => event.type === 'CreditsGranted');
    expect(granted).toHaveLength(2);
  });
});
