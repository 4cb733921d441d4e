import type { Sql } from '@darkroom/database';

/**
 * What the database knows about a task that did not get where a test waited for it: its
 * events with their transactions, which consumers took each one, the read model row, the
 * provider work row, every checkpoint against the log's end, and long transactions on the
 * server. Printed with the failure so a flaky wait can be explained after the run.
 */
export async function describeTask(sql: Sql, taskId: string): Promise<string> {
  const lines: string[] = [`--- task ${taskId}`];
  const events = await sql.query<{ global_position: string; transaction_id: string; stream_id: string; type: string; event_id: string; consumers: string | null }>(
    `SELECT e.global_position, e.transaction_id::text, e.stream_id, e.type, e.event_id,
            (SELECT string_agg(i.consumer, ',' ORDER BY i.consumer) FROM inbox i WHERE i.event_id = e.event_id) AS consumers
       FROM events e WHERE e.metadata->>'correlationId' = $1 ORDER BY e.transaction_id, e.global_position`,
    [taskId],
  );
  for (const e of events.rows) lines.push(`event ${e.global_position} tx ${e.transaction_id} ${e.stream_id} ${e.type} taken by [${e.consumers ?? ''}]`);
  const row = await sql.query(`SELECT status, credits_state FROM generations WHERE id = $1`, [taskId]).catch(() => ({ rows: [] }));
  lines.push(`generations row: ${JSON.stringify(row.rows[0] ?? null)}`);
  const job = await sql.query(`SELECT phase, attempt, next_run_at, lease_owner, lease_until FROM provider_jobs WHERE task_id = $1`, [taskId]).catch(() => ({ rows: [] }));
  lines.push(`provider_jobs row: ${JSON.stringify(job.rows[0] ?? null)}`);
  const end = await sql.query(
    `SELECT max(global_position) AS position, max(transaction_id::text::bigint) AS transaction, pg_snapshot_xmin(pg_current_snapshot())::text AS xmin FROM events`,
  );
  lines.push(`log end: ${JSON.stringify(end.rows[0])}`);
  const checkpoints = await sql.query(`SELECT name, transaction_id::text, global_position, updated_at FROM checkpoints ORDER BY name`);
  for (const c of checkpoints.rows) lines.push(`checkpoint ${JSON.stringify(c)}`);
  const long = await sql.query(
    `SELECT datname, application_name, state, backend_xid::text, now() - xact_start AS age, left(query, 100) AS query
       FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND xact_start < now() - interval '5 seconds'`,
  );
  for (const l of long.rows) lines.push(`long transaction ${JSON.stringify(l)}`);
  const sessions = await sql.query(
    `SELECT application_name, state, count(*)::int AS n, max(now() - state_change)::text AS longest_in_state
       FROM pg_stat_activity WHERE datname = current_database() GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  for (const x of sessions.rows) lines.push(`sessions ${JSON.stringify(x)}`);
  return lines.join('\n');
}
