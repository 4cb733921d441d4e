import { GenerationStatus } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import type { GenerationRow } from './generation-row';
import { toGenerationRow } from './generation-row.repository';

/** Where a page ends: the last row's keyset, exact to the microsecond. */
export interface GenerationKeyset {
  /** `created_at` as ISO 8601 with microseconds, e.g. 2026-11-24T02:05:20.123456Z. */
  readonly createdAt: string;
  readonly id: string;
}

export interface GenerationListQuery {
  readonly accountId: string;
  /** Rows to return; one more is read to tell whether another page follows. */
  readonly limit: number;
  /** Rows strictly after this keyset (older), when given. */
  readonly after?: GenerationKeyset;
  readonly statuses?: readonly GenerationStatus[];
  readonly model?: string;
  /** Exclusive bounds on `created_at`, ISO 8601. */
  readonly createdAfter?: string;
  readonly createdBefore?: string;
}

export interface GenerationListPage {
  readonly rows: readonly GenerationRow[];
  /** The keyset of the last row when more rows follow it, else null. */
  readonly next: GenerationKeyset | null;
}

const ALL_STATUSES = Object.values(GenerationStatus);

/**
 * One page of an account's tasks, newest first, by keyset on (created_at, id): stable
 * under inserts (a task created meanwhile never shifts a page). Without a status or model
 * filter the page is a range of `generations_account_keyset_idx`. With one, a plain filter
 * on that index would read every row of the account's history a rare status or model
 * skips (all of it when fewer rows match than the page holds), so the page is read per
 * status instead: one ordered range per status of `generations_account_status_keyset_idx`
 * (or, with a model, `generations_account_model_status_keyset_idx`, every status when none
 * is asked for), each at most a page long, merged. The cost is the page size times the
 * statuses, whatever the history (issue 12).
 */
export async function listGenerations(sql: Sql, query: GenerationListQuery): Promise<GenerationListPage> {
  const params: unknown[] = [query.accountId];
  const where = ['account_id = $1'];
  const param = (value: unknown) => `$${params.push(value)}`;
  if (query.model !== undefined) where.push(`model = ${param(query.model)}`);
  if (query.createdAfter !== undefined) where.push(`created_at > ${param(query.createdAfter)}::timestamptz`);
  if (query.createdBefore !== undefined) where.push(`created_at < ${param(query.createdBefore)}::timestamptz`);
  if (query.after) {
    where.push(`(created_at, id) < (${param(query.after.createdAt)}::timestamptz, ${param(query.after.id)}::uuid)`);
  }
  const limit = param(query.limit + 1);
  const page = (conditions: readonly string[]) =>
    `SELECT *, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS keyset_at
       FROM generations
      WHERE ${conditions.join(' AND ')}
      ORDER BY created_at DESC, id DESC
      LIMIT ${limit}`;
  const statuses = query.statuses?.length ? [...new Set(query.statuses)] : query.model !== undefined ? ALL_STATUSES : [];
  const text =
    statuses.length === 0
      ? page(where)
      : `SELECT * FROM (${statuses.map((status) => `(${page([...where, `status = ${param(status)}`])})`).join(' UNION ALL ')}) AS pages
          ORDER BY created_at DESC, id DESC
          LIMIT ${limit}`;
  const { rows } = await sql.query<Parameters<typeof toGenerationRow>[0] & { keyset_at: string }>(text, params);
  const found = rows.slice(0, query.limit);
  const last = found[found.length - 1];
  return {
    rows: found.map(toGenerationRow),
    next: rows.length > query.limit && last ? { createdAt: last.keyset_at, id: last.id } : null,
  };
}
