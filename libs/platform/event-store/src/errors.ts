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
