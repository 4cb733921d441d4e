import { LOG_START, type DomainEvent, type LogPosition, type Recorded } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import { PgEventStore } from '@darkroom/event-store';
import { readCheckpoint } from './checkpoints';
import { comparePositions, positionOf } from './log-position';
import type { RowProjection } from './projection';
import { evolveBatch, projectionLockKey, ProjectionRunner, saveRows } from './projection-runner';
import {
  createShadowTables,
  currentSearchPath,
  dropSchema,
  schemaOf,
  swapInShadowTables,
  tablesChecksum,
  tablesOf,
  useSchemaFirst,
  type TableChecksum,
} from './projection-tables';
import type { RebuildKind } from './rebuild-jobs';

export interface RebuildProgress {
  readonly done: number;
  readonly total: number;
  readonly state: 'running' | 'switching';
}

export interface RebuildOptions {
  /** Events read per batch (default 5,000). */
  readonly batchSize?: number;
  /** Rows kept in memory between batches; dirty ones are written when evicted (default 50,000). */
  readonly cacheSize?: number;
  /** Called after every batch; throwing aborts the rebuild (lost lease, shutdown). */
  readonly onProgress?: (progress: RebuildProgress) => Promise<void> | void;
}

export interface RebuildResult {
  readonly eventsDone: number;
  readonly position: LogPosition;
  /** The live tables at `position`, before a rebuild's switch. */
  readonly live: TableChecksum;
  readonly rebuilt: TableChecksum;
}

interface CachedRow<Row> {
  row: Row | undefined;
  dirty: boolean;
}

/**
 * Rebuilds one projection from position zero into a schema of its own (its tables copied
 * with LIKE ... INCLUDING ALL, its own `load` / `save` pointed there by the search path),
 * while the live tables keep serving and the live runner keeps running. Then, holding the
 * projection's lock, it applies the tail, brings the live checkpoint to the same position,
 * checksums both, and for `rebuild` moves the new tables into the live ones' places in that
 * same transaction. It only runs the projection's pure `evolve` and its `load` / `save`:
 * nothing is appended, published or called. Any error (an event type `evolve` does not know
 * throws) fails it and leaves the live tables as they were.
 */
export class ProjectionRebuild<Row, E extends DomainEvent = DomainEvent> {
  private readonly cache = new Map<string, CachedRow<Row>>();
  /** Keys with a row in the shadow tables: only this rebuild writes them, so any other key has none. */
  private readonly written = new Set<string>();
  private readonly tables: readonly string[];
  private basePath = 'public';

  constructor(
    private readonly sql: Sql,
    private readonly projection: RowProjection<Row, E>,
    private readonly jobId: string,
    private readonly options: RebuildOptions = {},
  ) {
    this.tables = tablesOf(projection);
  }

  private get shadowSchema(): string {
    return `rebuild_${this.jobId.replace(/-/g, '')}`;
  }

  private get retiredSchema(): string {
    return `retired_${this.jobId.replace(/-/g, '')}`;
  }

  async run(kind: RebuildKind): Promise<RebuildResult> {
    this.basePath = await currentSearchPath(this.sql);
    try {
      await this.sql.transaction((tx) => createShadowTables(tx, this.shadowSchema, this.tables));
      const total = await this.countEvents();
      let done = 0;
      let position = LOG_START;
      await this.options.onProgress?.({ done, total, state: 'running' });
      const store = new PgEventStore(this.sql);
      for (;;) {
        const events = await store.readAll<E>(position, { limit: this.batchSize, types: this.projection.eventTypes });
        if (events.length === 0) break;
        await this.sql.transaction((tx) => this.applyToShadow(tx, events));
        position = positionOf(events[events.length - 1]);
        done += events.length;
        await this.options.onProgress?.({ done, total: Math.max(total, done), state: 'running' });
      }
      // Written now, not under the lock: the switch then writes only the tail's rows.
      await this.sql.transaction(async (tx) => {
        await useSchemaFirst(tx, this.shadowSchema, this.basePath);
        await this.flush(tx, [...this.cache]);
      });
      await this.options.onProgress?.({ done, total: Math.max(total, done), state: 'switching' });
      return await this.sql.transaction((tx) => this.finish(tx, kind, position, done));
    } finally {
      await dropSchema(this.sql, this.shadowSchema);
      await dropSchema(this.sql, this.retiredSchema);
    }
  }

  /** Under the projection's lock: tail, align the live checkpoint, checksum, switch. */
  private async finish(tx: Sql, kind: RebuildKind, from: LogPosition, doneBefore: number): Promise<RebuildResult> {
    const lockKey = projectionLockKey(this.projection.name);
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [lockKey]);
    let position = from;
    let done = doneBefore;
    const store = new PgEventStore(tx);
    for (;;) {
      const events = await store.readAll<E>(position, { limit: this.batchSize, types: this.projection.eventTypes });
      if (events.length === 0) break;
      await this.applyToShadow(tx, events);
      position = positionOf(events[events.length - 1]);
      done += events.length;
    }
    await useSchemaFirst(tx, this.shadowSchema, this.basePath);
    await this.flush(tx, [...this.cache]);
    await useSchemaFirst(tx, undefined, this.basePath);

    // The live runner may be behind the rebuilt position (never ahead: the tail read the
    // newest events under the same lock). Its own batches bring it there.
    const runner = new ProjectionRunner(tx, this.projection, { batchSize: this.batchSize });
    while ((await runner.runBatchIn(tx, position)) > 0);
    const live = await readCheckpoint(tx, lockKey, true);
    if (comparePositions(live, position) !== 0) {
      throw new Error(
        `Live checkpoint of ${this.projection.name} (${live.transactionId}/${live.globalPosition}) is not at the rebuilt ` +
          `position (${position.transactionId}/${position.globalPosition})`,
      );
    }

    const liveSum = await tablesChecksum(tx, this.tables, (table) => schemaOf(tx, table));
    const rebuiltSum = await tablesChecksum(tx, this.tables, async () => this.shadowSchema);
    if (kind === 'rebuild') await swapInShadowTables(tx, this.tables, this.shadowSchema, this.retiredSchema);
    return { eventsDone: done, position, live: liveSum, rebuilt: rebuiltSum };
  }

  /** Evolves a batch against the cache (loading misses from the shadow tables) and writes evicted rows. */
  private async applyToShadow(tx: Sql, events: readonly Recorded<E>[]): Promise<void> {
    await useSchemaFirst(tx, this.shadowSchema, this.basePath);
    const rows = await evolveBatch(this.projection, events, async (key) => {
      const cached = this.cache.get(key);
      if (cached) return cached.row;
      const row = this.written.has(key) ? await this.projection.load(tx, key) : undefined;
      this.cache.set(key, { row, dirty: false });
      return row;
    });
    for (const [key, row] of rows) {
      // As the runner: a key evolved to nothing keeps the row it had in the table.
      if (row === undefined) continue;
      this.cache.delete(key);
      this.cache.set(key, { row, dirty: true });
    }
    const evicted: [string, CachedRow<Row>][] = [];
    for (const [key, entry] of this.cache) {
      if (this.cache.size <= this.cacheSize) break;
      this.cache.delete(key);
      evicted.push([key, entry]);
    }
    await this.flush(tx, evicted);
    await useSchemaFirst(tx, undefined, this.basePath);
  }

  private async flush(tx: Sql, entries: readonly [string, CachedRow<Row>][]): Promise<void> {
    const dirty = entries.filter(([, entry]) => entry.dirty && entry.row !== undefined);
    const rows = dirty.map(([, entry]) => entry.row as Row);
    await saveRows(this.projection, tx, rows);
    for (const [key, entry] of dirty) {
      entry.dirty = false;
      this.written.add(key);
    }
  }

  private async countEvents(): Promise<number> {
    const { rows } = await this.sql.query<{ total: string }>(
      `SELECT count(*)::text AS total FROM events WHERE type = ANY($1)`,
      [this.projection.eventTypes],
    );
    return Number(rows[0]?.total ?? 0);
  }

  private get batchSize(): number {
    return this.options.batchSize ?? 5000;
  }

  private get cacheSize(): number {
    return this.options.cacheSize ?? 50_000;
  }
}
