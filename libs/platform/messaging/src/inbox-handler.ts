import type { Sql } from '@darkroom/database';
import { PgEventStore, type EventStore } from '@darkroom/event-store';
import type { EventMessage } from './message-bus';

/** The work a consumer does for one message, inside the inbox transaction. */
export type InboxWork = (tx: Sql, store: EventStore) => Promise<void>;

/**
 * Runs `work` at most once per (consumer, event): one transaction takes the event's inbox
 * lock, runs the work with a transaction-bound `Sql` and event store, inserts the inbox row,
 * and commits. A message already in the inbox is skipped. Resolves true when the work ran,
 * false on a duplicate; the caller acks only after this resolved, so a crash before the
 * commit means a redelivery that runs again, and one after it means a redelivery that is
 * skipped.
 *
 * The inbox row is written after the work, not before: a transaction gets its id at its
 * first write, and the work's first write is usually an append under its stream's lock, so
 * transactions writing one stream get their ids in the order they hold the lock and need no
 * restart (decision 0018).
 */
export function handleOnce(
  sql: Sql,
  consumer: string,
  message: Pick<EventMessage, 'eventId'>,
  work: InboxWork,
): Promise<boolean> {
  return sql.transaction((tx) => handleOnceIn(tx, consumer, message, work));
}

/** `handleOnce` inside a transaction the caller owns (several messages committed together). */
export async function handleOnceIn(
  tx: Sql,
  consumer: string,
  message: Pick<EventMessage, 'eventId'>,
  work: InboxWork,
): Promise<boolean> {
  // A concurrent delivery of the same event waits here until ours ends, then finds the
  // inbox row. The lock is not a write: it does not give the transaction its id.
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`inbox:${consumer}:${message.eventId}`]);
  const seen = await tx.query(`SELECT 1 FROM inbox WHERE consumer = $1 AND event_id = $2`, [consumer, message.eventId]);
  if (seen.rows.length > 0) return false;
  await work(tx, new PgEventStore(tx));
  await tx.query(`INSERT INTO inbox (consumer, event_id) VALUES ($1, $2)`, [consumer, message.eventId]);
  return true;
}
