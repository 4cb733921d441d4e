import type { Sql } from '@darkroom/database';
import { PgEventStore, type EventStore } from '@darkroom/event-store';
import type { EventMessage } from './message-bus';

/** The work a consumer does for one message, inside the inbox transaction. */
export type InboxWork = (tx: Sql, store: EventStore) => Promise<void>;

/**
 * Runs `work` at most once per (consumer, event): one transaction inserts the inbox row,
 * runs the work with a transaction-bound `Sql` and event store, and commits. A message
 * already in the inbox is skipped. Resolves true when the work ran, false on a duplicate;
 * the caller acks only after this resolved, so a crash before the commit means a redelivery
 * that runs again, and one after it means a redelivery that is skipped.
 */
export function handleOnce(
  sql: Sql,
  consumer: string,
  message: Pick<EventMessage, 'eventId'>,
  work: InboxWork,
): Promise<boolean> {
  return sql.transaction(async (tx) => {
    // A concurrent delivery of the same event waits here on the primary key until ours ends.
    const { rows } = await tx.query(
      `INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id`,
      [consumer, message.eventId],
    );
    if (rows.length === 0) return false;
    await work(tx, new PgEventStore(tx));
    return true;
  });
}
