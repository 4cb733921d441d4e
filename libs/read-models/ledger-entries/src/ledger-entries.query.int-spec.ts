import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';
import { listLedgerEntries } from './ledger-entries.query';
import { ledgerEntryProjection } from './ledger-entry.projection';

jest.setTimeout(120_000);

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 2 });
});
afterAll(() => db?.drop());

it('pages through an account’s entries newest first, each once, and no other account’s', async () => {
  const accountId = randomUUID();
  const other = randomUUID();
  // Across digit counts (97 … 1,057): the order is numeric, not textual.
  const positions = Array.from({ length: 321 }, (_, index) => 97 + index * 3);
  for (const [index, position] of positions.entries()) {
    for (const account of [accountId, other]) {
      await ledgerEntryProjection.save(db.sql, {
        id: randomUUID(),
        accountId: account,
        type: 'reserved',
        amount: 1,
        taskId: `task-${index}`,
        grantId: null,
        reason: null,
        globalPosition: String(account === accountId ? position : position + 1),
        createdAt: new Date().toISOString(),
      });
    }
  }

  const seen: string[] = [];
  let before: string | undefined;
  for (let page = 0; page < 10; page++) {
    const result = await listLedgerEntries(db.sql, accountId, { limit: 100, ...(before ? { beforePosition: before } : {}) });
    expect(result.entries.every((entry) => entry.accountId === accountId)).toBe(true);
    seen.push(...result.entries.map((entry) => entry.globalPosition));
    if (!result.hasMore) break;
    before = result.entries.at(-1)!.globalPosition;
  }
  expect(seen).toEqual(positions.map(String).reverse());
});
