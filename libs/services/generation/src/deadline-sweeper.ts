import { FailureCode, generationStream } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import { failureMessage, generationDecider } from '@darkroom/domain-generation';
import type { EventStore } from '@darkroom/event-store';
import { newId, type Clock } from '@darkroom/kernel';
import { PeriodicSweep } from '@darkroom/runtime';
import { withLogContext } from '@darkroom/logging';

/** Tasks failed per sweep; the next sweep takes the rest. */
const BATCH = 100;

/**
 * Fails every open task past its deadline with `timeout`, so no task waits forever on a
 * provider or a lost message; the ledger then releases its credits. Reads the `generations`
 * read model to find candidates and lets the decider decide: a task that completed in the
 * meantime, or one another instance swept first, decides nothing.
 */
export class DeadlineSweeper extends PeriodicSweep {
  constructor(
    private readonly sql: Sql,
    private readonly store: EventStore,
    private readonly clock: Clock,
    intervalMs: number,
    /** Told about the events of every task it ended (task duration metrics). */
    private readonly onEnded: (taskId: string, events: readonly { readonly type: string }[]) => Promise<void> = async () => undefined,
  ) {
    super(intervalMs);
  }

  protected summary(swept: number): string {
    return `failed ${swept} task(s) past their deadline`;
  }

  /** One pass; resolves with how many tasks it failed. */
  async sweep(): Promise<number> {
    const now = this.clock.now();
    const { rows } = await this.sql.query<{ id: string; account_id: string }>(
      `SELECT id, account_id FROM generations
        WHERE status IN ('created', 'queued', 'processing') AND deadline < $1
        ORDER BY deadline LIMIT ${BATCH}`,
      [now],
    );
    let swept = 0;
    for (const { id, account_id: accountId } of rows) {
      const result = await withLogContext({ taskId: id, correlationId: id, accountId }, () => this.store.handle(
        generationStream(id),
        generationDecider,
        { type: 'FailGeneration', code: FailureCode.timeout, message: failureMessage(FailureCode.timeout), now: now.toISOString() },
        { metadata: { correlationId: id, accountId, schemaVersion: 1 }, eventId: () => newId() },
      ));
      swept += result.events.length > 0 ? 1 : 0;
      await withLogContext({ taskId: id, correlationId: id, accountId }, () => this.onEnded(id, result.events));
    }
    return swept;
  }
}
