import type { DataSource, QueryRunner } from 'typeorm';
import { mustRestart, type Sql, type SqlResult } from './sql';

/** Runs of an outermost transaction whose work asked for a fresh transaction (see `TransactionMustRestart`). */
const MAX_RESTARTS = 10;

async function run<Row>(runner: QueryRunner, text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
  const result = await runner.query(text, params ? [...params] : undefined, true);
  const rows = (Array.isArray(result.records) ? result.records : []) as Row[];
  return { rows, rowCount: typeof result.affected === 'number' ? result.affected : rows.length };
}

/**
 * `Sql` bound to one connection of a query runner; nested transactions are savepoints. With
 * `ownTransactions`, a statement issued outside a transaction gets one of its own.
 */
class RunnerSql implements Sql {
  /** Set by `announceCommit` during the outermost transaction. */
  private announced = false;

  constructor(
    private readonly runner: QueryRunner,
    private readonly options: TypeormSqlOptions = {},
    private readonly ownTransactions = false,
  ) {}

  announceCommit(): void {
    this.announced = true;
  }

  query<Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
    if (this.ownTransactions && !this.runner.isTransactionActive) {
      return this.transaction((tx) => tx.query<Row>(text, params));
    }
    return run<Row>(this.runner, text, params);
  }

  async transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
    // Only the outermost transaction can start afresh; a savepoint passes the request up.
    const outermost = !this.runner.isTransactionActive;
    for (let run = 1; ; run++) {
      await this.runner.startTransaction();
      if (outermost) this.announced = false;
      try {
        const result = await work(this);
        await this.runner.commitTransaction();
        if (outermost && this.announced) this.options.onAnnouncedCommit?.();
        return result;
      } catch (error) {
        await this.runner.rollbackTransaction();
        if (!outermost || !mustRestart(error) || run >= MAX_RESTARTS) throw error;
      }
    }
  }
}

export interface TypeormSqlOptions {
  /**
   * Run every statement inside a transaction. Needed behind pglite-socket, which shares one
   * PostgreSQL session among all connections and interleaves their extended-protocol
   * messages unless a transaction pins the session to one connection (decision 0001).
   */
  readonly statementsInTransactions?: boolean;
  /** Called after each outermost commit of a transaction that called `announceCommit` (the in-process commit signal). */
  readonly onAnnouncedCommit?: () => void;
}

/** `Sql` over a TypeORM data source: each query on a pooled connection, transactions on one. */
export class TypeormSql implements Sql {
  constructor(
    readonly dataSource: DataSource,
    private readonly options: TypeormSqlOptions = {},
  ) {}

  async query<Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
    if (this.options.statementsInTransactions) return this.transaction((tx) => tx.query<Row>(text, params));
    const runner = this.dataSource.createQueryRunner();
    try {
      return await run<Row>(runner, text, params);
    } finally {
      await runner.release();
    }
  }

  async transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      return await new RunnerSql(runner, this.options).transaction(work);
    } finally {
      await runner.release();
    }
  }

  /**
   * Runs `work` on one dedicated connection outside any transaction, for session-level
   * state such as advisory locks that must live as long as the caller holds them.
   */
  async withConnection<T>(work: (session: Sql) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      return await work(new RunnerSql(runner, this.options, this.options.statementsInTransactions));
    } finally {
      await runner.release();
    }
  }
}
