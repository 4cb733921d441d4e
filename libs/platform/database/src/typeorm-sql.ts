import type { DataSource, QueryRunner } from 'typeorm';
import type { Sql, SqlResult } from './sql';

async function run<Row>(runner: QueryRunner, text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
  const result = await runner.query(text, params ? [...params] : undefined, true);
  const rows = (Array.isArray(result.records) ? result.records : []) as Row[];
  return { rows, rowCount: typeof result.affected === 'number' ? result.affected : rows.length };
}

/** `Sql` bound to one open transaction of a query runner; nested transactions are savepoints. */
class TransactionSql implements Sql {
  constructor(private readonly runner: QueryRunner) {}

  query<Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
    return run<Row>(this.runner, text, params);
  }

  async transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
    await this.runner.startTransaction();
    try {
      const result = await work(this);
      await this.runner.commitTransaction();
      return result;
    } catch (error) {
      await this.runner.rollbackTransaction();
      throw error;
    }
  }
}

/** `Sql` over a TypeORM data source: each query on a pooled connection, transactions on one. */
export class TypeormSql implements Sql {
  constructor(readonly dataSource: DataSource) {}

  async query<Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
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
      return await new TransactionSql(runner).transaction(work);
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
      return await work(new TransactionSql(runner));
    } finally {
      await runner.release();
    }
  }
}
