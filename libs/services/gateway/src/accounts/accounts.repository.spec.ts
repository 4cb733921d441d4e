import { describe, expect, it } from '@jest/globals';
import type { Sql } from '@darkroom/database';
import { AccountsRepository } from './accounts.repository';

/** A `Sql` that records statements and answers with no rows. */
function recordingSql(): { sql: Sql; statements: string[] } {
  const statements: string[] = [];
  const sql: Sql = {
    query: async (text) => {
      statements.push(text.replace(/\s+/g, ' ').trim());
      return { rows: [], rowCount: 0 };
    },
    transaction: (work) => work(sql),
  };
  return { sql, statements };
}

describe('AccountsRepository.touch', () => {
  it('writes last_used_at at most once a minute per key', async () => {
    const { sql, statements } = recordingSql();
    const accounts = new AccountsRepository(sql);
    const t0 = 1_000_000;
    await accounts.touch('k1', t0);
    expect(accounts.touch('k1', t0 + 59_999)).toBeUndefined();
    await accounts.touch('k2', t0 + 1);
    await accounts.touch('k1', t0 + 60_000);
    expect(statements).toEqual([
      'UPDATE api_keys SET last_used_at = now() WHERE id = $1',
      'UPDATE api_keys SET last_used_at = now() WHERE id = $1',
      'UPDATE api_keys SET last_used_at = now() WHERE id = $1',
    ]);
  });
});

describe('AccountsRepository.ownerOfKey', () => {
  it('does not query for something that is not a darkroom key (the admin key, garbage)', async () => {
    const { sql, statements } = recordingSql();
    const accounts = new AccountsRepository(sql);
    for (const key of ['adm_0123456789abcdef0123456789abcdef', 'drk_123', "drk_0000000g_' OR 1=1 --AAAAAAAAAAAA"]) {
      expect(await accounts.ownerOfKey(key)).toBeUndefined();
    }
    expect(statements).toEqual([]);
  });
});
