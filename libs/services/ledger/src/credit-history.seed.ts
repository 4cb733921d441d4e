import { createHash } from 'node:crypto';
import { creditAccountStream } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';

export interface CreditHistory {
  /** Tasks already settled on the account: reserved, then captured (odd) or released (even). */
  readonly tasks: number;
  /** Credits per task. */
  readonly amount: number;
  /** The one grant before them. */
  readonly granted: number;
}

/** The reservation id (task id) of past task `index` of `accountId`, as `seedCreditHistory` wrote it. */
export const pastTaskId = (accountId: string, index: number) => uuidOf(`${accountId}/past-task/${index}`);

/**
 * Writes an account's past straight into the log, as years of traffic would have left it
 * (tests and benchmarks of long histories): one grant, then `tasks` reservations each
 * captured or released, with subjects, in one INSERT. No snapshot is written, as for an
 * account that predates them: the first command folds the history once.
 */
export async function seedCreditHistory(sql: Sql, accountId: string, history: CreditHistory): Promise<void> {
  await sql.query(
    `WITH steps AS (
       SELECT t, k, md5($1::text || '/past-task/' || t)::uuid AS task_id,
              timestamptz '2025-01-01' + t * interval '1 second' AS at
         FROM generate_series(0, $3::int - 1) AS t, generate_series(0, 1) AS k
     ), typed AS (
       SELECT 2 + 2 * t + k AS version, task_id,
              CASE WHEN k = 0 THEN 'CreditsReserved' WHEN t % 2 = 1 THEN 'CreditsCaptured' ELSE 'CreditsReleased' END AS type,
              CASE WHEN k = 0 THEN jsonb_build_object('accountId', $1::text, 'reservationId', task_id, 'amount', $4::int, 'reservedAt', at)
                   WHEN t % 2 = 1 THEN jsonb_build_object('accountId', $1::text, 'reservationId', task_id, 'amount', $4::int, 'capturedAt', at)
                   ELSE jsonb_build_object('accountId', $1::text, 'reservationId', task_id, 'amount', $4::int, 'releasedAt', at,
                                           'reason', 'generation_failed') END AS data
         FROM steps
     )
     INSERT INTO events (stream_id, stream_version, event_id, type, data, metadata, subject)
     SELECT $2::text, 1, gen_random_uuid(), 'CreditsGranted',
            jsonb_build_object('accountId', $1::text, 'grantId', 'past-grant', 'amount', $5::int, 'reason', 'history',
                               'grantedAt', timestamptz '2024-12-31'),
            jsonb_build_object('correlationId', $1::text, 'accountId', $1::text, 'schemaVersion', 1), 'grant:past-grant'
     UNION ALL
     SELECT $2::text, version, gen_random_uuid(), type, data,
            jsonb_build_object('correlationId', task_id, 'accountId', $1::text, 'schemaVersion', 1), 'reservation:' || task_id
       FROM (SELECT * FROM typed ORDER BY version) AS ordered`,
    [accountId, creditAccountStream(accountId), history.tasks, history.amount, history.granted],
  );
}

/** PostgreSQL's `md5(text)::uuid`, so both sides name the same task. */
function uuidOf(text: string): string {
  const hex = createHash('md5').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
