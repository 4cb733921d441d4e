import { TransactionMustRestart } from '@darkroom/database';
import type { ExpectedVersion } from './event-store';

/** The stream was not at the expected version; nothing was written. */
export class StreamVersionConflict extends Error {
  readonly code = 'stream_version_conflict';

  constructor(
    readonly stream: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`Stream ${stream} is at version ${actual}, expected ${String(expected)}`);
    this.name = 'StreamVersionConflict';
  }
}

/** An event id already exists with another payload: a caller reused an id for a different fact. */
export class IdempotencyConflict extends Error {
  readonly code = 'idempotency_conflict';

  constructor(readonly eventIds: readonly string[]) {
    super(`Event ids already stored with a different payload: ${eventIds.join(', ')}`);
    this.name = 'IdempotencyConflict';
  }
}

/**
 * The stream's last event was written by a transaction younger than this one: appending now
 * would put this event before it in the log's (transaction, position) order. The outermost
 * transaction runs again with a new, younger transaction id (decision 0018).
 */
export class StreamOrderConflict extends TransactionMustRestart {
  readonly code = 'stream_order_conflict';

  constructor(readonly stream: string) {
    super(`Stream ${stream} was last written by a younger transaction; the transaction must start again`);
    this.name = 'StreamOrderConflict';
  }
}
