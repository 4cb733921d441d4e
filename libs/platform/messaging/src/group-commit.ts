import { TransactionMustRestart, type Sql } from '@darkroom/database';
import { handleOnceIn, type InboxWork } from './inbox-handler';
import type { EventMessage } from './message-bus';

/** Messages committed together at most (a consumer's prefetch bounds it anyway). */
const MAX_BATCH = 64;

interface Pending {
  readonly message: Pick<EventMessage, 'eventId'>;
  readonly work: InboxWork;
  readonly resolve: (ran: boolean) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { readonly ran: boolean } | { readonly error: unknown };

/**
 * Group commit for a consumer whose messages serialise on a key (a ledger's commands on one
 * account's stream): while one transaction of a key runs, the key's next messages wait here,
 * not on the database lock, and then run together in one transaction — each with `handleOnce`'s
 * guarantees (inbox lock, inbox row, its work), each in a savepoint of its own. One hot key then
 * pays one lock hand-over and one commit for a whole batch instead of one per message.
 *
 * A message whose work fails rolls back its savepoint only and is rejected (retried by the
 * transport like any failure); the others commit. A message is resolved only after its batch
 * committed, so it is acked only then. A failed commit rejects the whole batch; a transaction
 * asked to start again (`TransactionMustRestart`) runs the whole batch again.
 */
export class GroupCommit {
  private readonly queues = new Map<string, Pending[]>();

  constructor(
    private readonly sql: Sql,
    private readonly consumer: string,
  ) {}

  /** Runs `work` for `message` at most once, in the next transaction of `key`; resolves with `handleOnce`'s answer. */
  submit(key: string, message: Pick<EventMessage, 'eventId'>, work: InboxWork): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const pending: Pending = { message, work, resolve, reject };
      const queue = this.queues.get(key);
      if (queue) {
        queue.push(pending);
        return;
      }
      this.queues.set(key, [pending]);
      void this.drain(key);
    });
  }

  private async drain(key: string): Promise<void> {
    const queue = this.queues.get(key)!;
    while (queue.length > 0) await this.commit(queue.splice(0, MAX_BATCH));
    this.queues.delete(key);
  }

  private async commit(batch: readonly Pending[]): Promise<void> {
    let outcomes: Outcome[] = [];
    try {
      await this.sql.transaction(async (tx) => {
        outcomes = [];
        for (const { message, work } of batch) {
          try {
            outcomes.push({ ran: await tx.transaction((savepoint) => handleOnceIn(savepoint, this.consumer, message, work)) });
          } catch (error) {
            if (error instanceof TransactionMustRestart) throw error;
            outcomes.push({ error });
          }
        }
      });
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    batch.forEach((pending, index) => {
      const outcome = outcomes[index]!;
      if ('error' in outcome) pending.reject(outcome.error);
      else pending.resolve(outcome.ran);
    });
  }
}
