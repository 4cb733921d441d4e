import type { RecordedEvent } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';

/**
 * A read model kept as one row per key. `evolve` is pure (row in, row out) and carries the
 * logic worth testing; `load` and `save` are the explicit SQL for its table.
 */
export interface RowProjection<Row> {
  /** Names the checkpoint and the lock; stable across releases. */
  readonly name: string;
  /** Event types this projection reads; others are not loaded. */
  readonly eventTypes: readonly string[];
  /**
   * The tables `load` and `save` write, unqualified (default: `[name]`). A rebuild copies them
   * into a schema of its own and runs `load` / `save` with that schema first on the search path.
   */
  readonly tables?: readonly string[];
  /** The row an event belongs to, or undefined when the event does not touch this model. */
  keyOf(event: RecordedEvent): string | undefined;
  evolve(row: Row | undefined, event: RecordedEvent): Row | undefined;
  load(tx: Sql, key: string): Promise<Row | undefined>;
  save(tx: Sql, row: Row): Promise<void>;
  /**
   * Optional: saves many rows (distinct keys) in one statement, exactly as `save` would one
   * by one. Rebuilds use it when present; without it they call `save` per row.
   */
  saveMany?(tx: Sql, rows: readonly Row[]): Promise<void>;
}
