/**
 * The gateway's spend-cap fast check (decision 0028) runs on every request that names a key or
 * an end user: two primary-key reads of the usage read models. This measures them with 1,000
 * and with many rows (end users) in the table.
 *
 *   npm run bench:spend-usage -- [--rows 1000,1000000] [--samples 2000]
 */
import { randomUUID } from 'node:crypto';
import { loadSpendUsage } from '@darkroom/read-model-spend-usage';
import { createTestDatabase, type TestDatabase } from '@darkroom/testing';

function option(name: string, fallback: string): string {
  const argv = process.argv.slice(2);
  const index = argv.indexOf(`--${name}`);
  return index >= 0 ? argv[index + 1]! : fallback;
}

async function main(): Promise<void> {
  const sizes = option('rows', '1000,1000000').split(',').map(Number);
  const samples = Number(option('samples', '2000'));
  const db: TestDatabase = await createTestDatabase({ poolSize: 2 });
  try {
    console.log('| rows (end users) | fast check p50 / p99 ms |');
    console.log('|---:|---:|');
    for (const rows of sizes) {
      const accountId = randomUUID();
      await db.sql.query(`TRUNCATE user_spend_usage, key_spend_usage`);
      await db.sql.query(
        `INSERT INTO user_spend_usage (account_id, subject_id, day, day_credits, day_limit, month, month_credits, month_limit, updated_at)
         SELECT $1, 'user-' || i, '2026-12-08', i % 100, 100, '2026-12', i % 1000, NULL, now() FROM generate_series(1, $2) AS i`,
        [accountId, rows],
      );
      await db.sql.query(`INSERT INTO key_spend_usage SELECT account_id, 'key-1', day, day_credits, day_limit, month, month_credits, month_limit, updated_at FROM user_spend_usage LIMIT 1`);
      await db.sql.query(`VACUUM ANALYZE user_spend_usage`);
      const times: number[] = [];
      for (let i = 0; i < samples; i++) {
        const user = `user-${1 + Math.floor(Math.random() * rows)}`;
        const started = process.hrtime.bigint();
        await Promise.all([loadSpendUsage(db.sql, 'key', accountId, ['key-1']), loadSpendUsage(db.sql, 'user', accountId, [user])]);
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
      times.sort((a, b) => a - b);
      const at = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!.toFixed(2);
      console.log(`| ${rows.toLocaleString('en-US')} | ${at(50)} / ${at(99)} |`);
    }
  } finally {
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
