/** Rows and affected-row count of one statement. */
export interface SqlResult<Row> {
  readonly rows: Row[];
  readonly rowCount: number;
}

/**
 * The narrow port everything that talks SQL goes through. Inside `transaction`, the
 * callback's `Sql` is bound to that transaction; a nested `transaction` is a savepoint.
 */
export interface Sql {
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>>;
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
  /**
   * Marks the transaction as one this process's readers should hear of once it commits (an
   * event append). Where PostgreSQL's NOTIFY cannot reach them (PGlite behind its socket) the
   * `Sql` tells them itself; elsewhere it does nothing and may be absent.
   */
  announceCommit?(): void;
}

/**
 * Thrown inside a transaction whose work cannot be done by this transaction but can by a
 * fresh one (e.g. an event store append that would break the log's order, decision 0018).
 * The outermost `transaction` rolls back and runs the work again, a bounded number of times.
 */
export class TransactionMustRestart extends Error {
  readonly restartTransaction = true;

  constructor(message: string) {
    super(message);
    this.name = 'TransactionMustRestart';
  }
}

export const mustRestart = (error: unknown): boolean =>
  (error as { restartTransaction?: unknown } | undefined)?.restartTransaction === true;

/** PostgreSQL error code of a unique violation. */
export const UNIQUE_VIOLATION = '23505';

export function pgErrorCode(error: unknown): string | undefined {
  const candidate = error as { code?: unknown; driverError?: { code?: unknown } };
  const code = candidate?.driverError?.code ?? candidate?.code;
  return typeof code === 'string' ? code : undefined;
}

export function pgConstraint(error: unknown): string | undefined {
  const candidate = error as { constraint?: unknown; driverError?: { constraint?: unknown } };
  const constraint = candidate?.driverError?.constraint ?? candidate?.constraint;
  return typeof constraint === 'string' ? constraint : undefined;
}
