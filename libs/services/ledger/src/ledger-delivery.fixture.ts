import { randomUUID } from 'node:crypto';
import { routingKey, type RecordedEvent, type Spender } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import { EventContext, handleOnce, type EventMessage, type GroupCommit, type InboxWork } from '@darkroom/messaging';
import { LEDGER, LEDGER_CONSUMER, type LedgerHandlers } from './ledger.handlers';

/** The generation events the ledger reacts to. */
export type LedgerInput = 'GenerationCreated' | 'GenerationCompleted' | 'GenerationFailed' | 'GenerationCanceled';

/**
 * A generation event as the relay would deliver it to the ledger (tests and benchmarks):
 * GenerationCreated carries the price, the terminal events the account.
 */
export function generationMessage(
  type: LedgerInput,
  accountId: string,
  taskId: string,
  price = 1,
  at = new Date(),
  spender?: Spender,
): EventMessage {
  const data =
    type === 'GenerationCreated'
      ? { taskId, request: { accountId, model: 'local', prompt: 'p' }, price, ...(spender ? { spender } : {}) }
      : { taskId, accountId };
  const recorded: RecordedEvent = {
    eventId: randomUUID(),
    type,
    data,
    metadata: { correlationId: taskId, accountId, schemaVersion: 1 },
    streamId: `generation-${taskId}`,
    streamVersion: 1,
    globalPosition: '1',
    transactionId: '1',
    recordedAt: at.toISOString(),
  };
  return { ...recorded, routingKey: routingKey(recorded.streamId, type) };
}

/**
 * Runs a delivery as the ledger's consumer does: the inbox row and the handler in one
 * transaction — or, given the consumer's `GroupCommit`, in its account's next batch.
 */
export async function deliverToLedger(sql: Sql, handlers: LedgerHandlers, message: EventMessage, group?: GroupCommit): Promise<void> {
  const work: InboxWork = async (tx, txStore) => {
    const ctx = new EventContext(LEDGER, message, 1, tx, txStore);
    switch (message.type as LedgerInput) {
      case 'GenerationCreated':
        return handlers.reserve(message as never, ctx);
      case 'GenerationCompleted':
        return handlers.capture(message as never, ctx);
      case 'GenerationFailed':
        return handlers.releaseOnFailure(message as never, ctx);
      case 'GenerationCanceled':
        return handlers.releaseOnCancel(message as never, ctx);
    }
  };
  const key = LEDGER_CONSUMER.groupBy?.(message);
  await (group && key !== undefined ? group.submit(key, message, work) : handleOnce(sql, LEDGER, message, work));
}
