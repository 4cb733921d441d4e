import type { SpendCapScope } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import type { SpendUsageRow } from './spend-usage.evolve';

interface UsageRecord {
  account_id: string;
  subject_id: string;
  day: string;
  day_credits: string;
  day_limit: string | null;
  month: string;
  month_credits: string;
  month_limit: string | null;
  updated_at: Date;
}

export const spendUsageTable = (scope: SpendCapScope) => (scope === 'key' ? 'key_spend_usage' : 'user_spend_usage');

const COLUMNS = 'account_id, subject_id, day, day_credits, day_limit, month, month_credits, month_limit, updated_at';

/** Rows by `account_id` and subject ids; a subject with no row is absent. */
export async function loadSpendUsage(tx: Sql, scope: SpendCapScope, accountId: string, subjectIds: readonly string[]): Promise<SpendUsageRow[]> {
  if (subjectIds.length === 0) return [];
  const { rows } = await tx.query<UsageRecord>(
    `SELECT ${COLUMNS} FROM ${spendUsageTable(scope)} WHERE account_id = $1 AND subject_id = ANY($2::text[])`,
    [accountId, subjectIds],
  );
  return rows.map((record) => toRow(scope, record));
}

/** One page of an account's rows, by subject id, after `after`. */
export async function listSpendUsage(
  tx: Sql,
  scope: SpendCapScope,
  accountId: string,
  page: { readonly limit: number; readonly after?: string },
): Promise<SpendUsageRow[]> {
  const { rows } = await tx.query<UsageRecord>(
    `SELECT ${COLUMNS} FROM ${spendUsageTable(scope)}
      WHERE account_id = $1 AND ($2::text IS NULL OR subject_id > $2) ORDER BY subject_id LIMIT $3`,
    [accountId, page.after ?? null, page.limit],
  );
  return rows.map((record) => toRow(scope, record));
}

export async function saveSpendUsage(tx: Sql, rows: readonly SpendUsageRow[]): Promise<void> {
  const scope = rows[0]?.scope;
  if (!scope) return;
  await tx.query(
    `INSERT INTO ${spendUsageTable(scope)} (${COLUMNS})
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::bigint[], $8::bigint[], $9::timestamptz[])
     ON CONFLICT (account_id, subject_id) DO UPDATE SET
       day = EXCLUDED.day, day_credits = EXCLUDED.day_credits, day_limit = EXCLUDED.day_limit,
       month = EXCLUDED.month, month_credits = EXCLUDED.month_credits, month_limit = EXCLUDED.month_limit,
       updated_at = EXCLUDED.updated_at`,
    [
      rows.map((row) => row.accountId),
      rows.map((row) => row.subjectId),
      rows.map((row) => row.day),
      rows.map((row) => row.dayCredits),
      rows.map((row) => row.dayLimit),
      rows.map((row) => row.month),
      rows.map((row) => row.monthCredits),
      rows.map((row) => row.monthLimit),
      rows.map((row) => row.updatedAt),
    ],
  );
}

function toRow(scope: SpendCapScope, record: UsageRecord): SpendUsageRow {
  const limit = (value: string | null) => (value === null ? null : Number(value));
  return {
    accountId: record.account_id,
    scope,
    subjectId: record.subject_id,
    day: record.day,
    dayCredits: Number(record.day_credits),
    dayLimit: limit(record.day_limit),
    month: record.month,
    monthCredits: Number(record.month_credits),
    monthLimit: limit(record.month_limit),
    updatedAt: new Date(record.updated_at).toISOString(),
  };
}
