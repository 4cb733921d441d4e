import type { DomainEvent, LogPosition, Recorded } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import { PgEventStore, type CommitSignal } from '@darkroom/event-store';
import { systemClock, type Clock } from '@darkroom/kernel';
import { advanceCheckpoint, readCheckpoint } from './checkpoints';
import { comparePositions, positionOf } from './log-position';
import type { RowProjection } from './projection';

export interface ProjectionRunnerOptions {
  readonly batchSize?: number;
  readonly pollIntervalMs?: number;
  /** Cuts the idle pause short when events are committed; the poll stays as the safety net. */
  readonly commits?: CommitSignal;
  readonly onError?: (error: unknown) => void;
  /** Times the stats and the activity readiness looks at (default the system clock). */
  readonly clock?: Clock;
}

/** What one runner did lately, for lag reporting; positions and lag proper live in the database. */
export interface ProjectionRunnerStats {
  readonly lastBatchAt?: Date;
  readonly lastBatchEvents: number;
  readonly eventsApplied: number;
  readonly lastError?: string;
  readonly lastErrorAt?: Date;
}

/** The lock a runner batch, a rebuild's switch and a checksum take; one holder per projection. */
export const projectionLockKey = (projectionName: string): string => `projection:${projectionName}`;

/**
 * Evolves the rows a batch of events touches, each key loaded once through `load`; the map
 * holds every touched key, undefined where the projection has no row for it.
 */
export async function evolveBatch<Row, E extends DomainEvent>(
  projection: RowProjection<Row, E>,
  events: readonly Recorded<E>[],
  load: (key: string) => Promise<Row | undefined>,
): Promise<Map<string, Row | undefined>> {
  const rows = new Map<string, Row | undefined>();
  for (const event of events) {
    const key = projection.keyOf(event);
    if (key === undefined) continue;
    const current = rows.has(key) ? rows.get(key) : await load(key);
    rows.set(key, projection.evolve(current, event));
  }
  return rows;
}

/** Rows per multi-row upsert. */
const SAVE_MANY_CHUNK = 1000;

/** Writes rows of distinct keys: with the projection's `saveMany` in chunks when it has one, else one `save` each. */
export async function saveRows<Row>(projection: Pick<RowProjection<Row>, 'save' | 'saveMany'>, tx: Sql, rows: readonly Row[]): Promise<void> {
  if (!projection.saveMany) {
    for (const row of rows) await projection.save(tx, row);
    return;
  }
  for (let start = 0; start < rows.length; start += SAVE_MANY_CHUNK) {
    await projection.saveMany(tx, rows.slice(start, start + SAVE_MANY_CHUNK));
  }
}

/**
 * Tails the event store (not the broker) into one projection. Each batch writes its rows
 * and compare-and-sets the checkpoint in one transaction; a transaction-scoped advisory
 * lock keeps a second runner of the same projection from working at the same time. Every
 * instance polls, so when the process holding the lock dies (its transaction rolls back with
 * its connection), another one takes the next batch at its next poll.
 */
export class ProjectionRunner<Row, E extends DomainEvent = DomainEvent> {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = true;
  /** A batch is running; a commit announced meanwhile makes the next one start at once. */
  private inBatch = false;
  private committed = false;
  private unsubscribe?: () => void;
  private lastPosition?: LogPosition;
  private stats: ProjectionRunnerStats = { lastBatchEvents: 0, eventsApplied: 0 };
  /** For readiness: when the loop started and when a poll last succeeded (applied, idle or locked out alike). */
  private startedAt?: Date;
  private lastTickAt?: Date;

  constructor(
    private readonly sql: Sql,
    private readonly projection: RowProjection<Row, E>,
    private readonly options: ProjectionRunnerOptions = {},
  ) {}

  get name(): string {
    return this.projection.name;
  }

  get checkpointName(): string {
    return projectionLockKey(this.projection.name);
  }

  get lastStats(): ProjectionRunnerStats {
    return this.stats;
  }

  /** Progress for stall detection: a runner locked out by another instance still ticks, so only a hung or failing one stalls. */
  get activity(): { readonly active: boolean; readonly since?: Date; readonly lastTickAt?: Date } {
    return { active: !this.stopped, since: this.startedAt, lastTickAt: this.lastTickAt };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.startedAt = this.now();
    this.unsubscribe = this.options.commits?.subscribe(() => this.onCommit());
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Projects one batch; returns how many events it applied (0 when idle or locked out). */
  runOnce(): Promise<number> {
    return this.sql.transaction((tx) => this.runBatchIn(tx));
  }

  /**
   * Projects one batch inside the caller's transaction, no further than `until` when given
   * (a rebuild's switch brings the live table to the rebuilt one's position this way while
   * it holds the lock; the lock is re-entrant within the session).
   */
  async runBatchIn(tx: Sql, until?: LogPosition): Promise<number> {
    const { rows } = await tx.query<{ locked: boolean }>(`SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked`, [
      this.checkpointName,
    ]);
    if (!rows[0]?.locked) return 0;
    const from = await readCheckpoint(tx, this.checkpointName);
    const read = await new PgEventStore(tx).readAll<E>(from, {
      limit: this.options.batchSize ?? 500,
      types: this.projection.eventTypes,
    });
    const events = until ? read.filter((event) => comparePositions(event, until) <= 0) : read;
    if (events.length === 0) return 0;
    try {
      await this.apply(tx, events);
      const last = positionOf(events[events.length - 1]);
      await advanceCheckpoint(tx, this.checkpointName, from, last);
      this.lastPosition = last;
    } catch (error) {
      this.stats = { ...this.stats, lastError: String(error), lastErrorAt: this.now() };
      throw error;
    }
    this.stats = {
      ...this.stats,
      lastBatchAt: this.now(),
      lastBatchEvents: events.length,
      eventsApplied: this.stats.eventsApplied + events.length,
    };
    return events.length;
  }

  /** Runs batches until the log is drained; for tests and rebuilds. */
  async catchUp(): Promise<number> {
    let total = 0;
    for (let applied = await this.runOnce(); applied > 0; applied = await this.runOnce()) total += applied;
    return total;
  }

  private now(): Date {
    return (this.options.clock ?? systemClock).now();
  }

  private async apply(tx: Sql, events: readonly Recorded<E>[]): Promise<void> {
    const rows = await evolveBatch(this.projection, events, (key) => this.projection.load(tx, key));
    await saveRows(this.projection, tx, [...rows.values()].filter((row): row is Row => row !== undefined));
  }

  private onCommit(): void {
    if (this.stopped) return;
    if (this.inBatch) {
      this.committed = true;
      return;
    }
    clearTimeout(this.timer);
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.inBatch = true;
      this.committed = false;
      this.running = this.runOnce()
        .then((applied) => {
          this.inBatch = false;
          this.lastTickAt = this.now();
          this.schedule(applied > 0 || this.committed ? 0 : (this.options.pollIntervalMs ?? 100));
        })
        .catch((error: unknown) => {
          this.inBatch = false;
          this.options.onError?.(error);
          this.schedule(1000);
        });
    }, delayMs);
  }
}
