import type { DomainEvent, Recorded } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';

/**
 * A read model kept as one row per key. `evolve` is pure (row in, row out) and carries the
 * logic worth testing; `load` and `save` are the explicit SQL for its table. `E` is the union
 * of the events it reads: the runner asks the store for `eventTypes` only, so `keyOf` and
 * `evolve` see nothing else.
 */
export interface RowProjection<Row, E extends DomainEvent = DomainEvent> {
  /** Names the checkpoint and the lock; stable across releases. */
  readonly name: string;
  /** Event types this projection reads; others are not loaded. */
  readonly eventTypes: readonly E['type'][];
  /**
   * The tables `load` and `save` write, unqualified (default: `[name]`). A rebuild copies them
   * into a schema of its own and runs `load` / `save` with that schema first on the search path.
   */
  readonly tables?: readonly string[];
  /** The row an event belongs to, or undefined when the event does not touch this model. */
  keyOf(event: Recorded<E>): string | undefined;
  evolve(row: Row | undefined, event: Recorded<E>): Row | undefined;
  load(tx: Sql, key: string): Promise<Row | undefined>;
  save(tx: Sql, row: Row): Promise<void>;
  /**
   * Optional: saves many rows (distinct keys) in one statement, exactly as `save` would one
   * by one. Rebuilds use it when present; without it they call `save` per row.
   */
  saveMany?(tx: Sql, rows: readonly Row[]): Promise<void>;
}

/**
 * Whether `projection` reads `event` (its type is one of `eventTypes`): narrows an event read
 * some other way (a task's correlated history, say) to the union its `evolve` takes.
 */
export function readsEvent<E extends DomainEvent, T extends DomainEvent>(projection: RowProjection<unknown, E>, event: T): event is T & E {
  return projection.eventTypes.some((type) => type === event.type);
}
