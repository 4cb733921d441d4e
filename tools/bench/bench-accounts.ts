import { call } from '../../apps/e2e/src/support/api';
import type { System } from '../../apps/e2e/src/support/system';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `work` over `items` with at most `limit` at a time. */
async function inBatches<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** `count` accounts through the admin API, each granted `credits`; resolves with their API keys once the balance projection shows every grant. */
export async function createAccounts(system: System, count: number, credits: number): Promise<string[]> {
  const keys = await inBatches(Array.from({ length: count }, (_, i) => i), 8, async (i) => {
    const created = await call(system.gatewayUrl, 'POST', '/admin/accounts', { key: system.adminKey, body: { name: `bench ${i}` } });
    if (created.status !== 201) throw new Error(`POST /admin/accounts answered ${created.status}: ${created.bytes.toString()}`);
    const granted = await call(system.gatewayUrl, 'POST', `/admin/accounts/${created.body.id}/credits`, {
      key: system.adminKey,
      body: { amount: credits, reason: 'bench' },
    });
    if (granted.status !== 201) throw new Error(`POST credits answered ${granted.status}: ${granted.bytes.toString()}`);
    return created.body.api_key as string;
  });
  // The gateway's fast 402 reads the balance projection: offer nothing before it shows every grant.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { rows } = await system.db.sql.query<{ ready: string }>(`SELECT count(*) AS ready FROM credit_balances WHERE available >= $1`, [credits]);
    if (Number(rows[0]!.ready) >= count) return keys;
    if (Date.now() > deadline) throw new Error(`Only ${rows[0]!.ready} of ${count} grants reached the balance projection`);
    await sleep(250);
  }
}

