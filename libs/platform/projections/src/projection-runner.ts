import type { LogPosition, RecordedEvent } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import { PgEventStore } from '@darkroom/event-store';
import { advanceCheckpoint, readCheckpoint } from './checkpoints';
import type { RowProjection } from './projection';

export interface ProjectionRunnerOptions {
  readonly batchSize?: number;
  readonly pollIntervalMs?: number;
  readonly onError?: (error: unknown) => void;
}

/**
 * Tails the event store (not the broker) into one projection. Each batch writes its rows
 * and compare-and-sets the checkpoint in one transaction; a transaction-scoped advisory
 * lock keeps a second runner of the same projection from working at the same time.
 */
export class ProjectionRunner<Row> {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = true;
  private lastPosition?: LogPosition;

  constructor(
    private readonly sql: Sql,
    private readonly projection: RowProjection<Row>,
    private readonly options: ProjectionRunnerOptions = {},
  ) {}

  get name(): string {
    return this.projection.name;
  }

  get checkpointName(): string {
    return `projection:${this.projection.name}`;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Projects one batch; returns how many events it applied (0 when idle or locked out). */
  runOnce(): Promise<number> {
    return this.sql.transaction(async (tx) => {
      const { rows } = await tx.query<{ locked: boolean }>(`SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked`, [
        this.checkpointName,
      ]);
      if (!rows[0]?.locked) return 0;
      const from = await readCheckpoint(tx, this.checkpointName);
      const events = await new PgEventStore(tx).readAll(from, {
        limit: this.options.batchSize ?? 500,
        types: this.projection.eventTypes,
      });
      if (events.length === 0) return 0;
      await this.apply(tx, events);
      const last = events[events.length - 1];
      await advanceCheckpoint(tx, this.checkpointName, from, last);
      this.lastPosition = last;
      return events.length;
    });
  }

  /** Runs batches until the log is drained; for tests and rebuilds. */
  async catchUp(): Promise<number> {
    let total = 0;
    for (let applied = await this.runOnce(); applied > 0; applied = await this.runOnce()) total += applied;
    return total;
  }

  private async apply(tx: Sql, events: readonly RecordedEvent[]): Promise<void> {
    const rows = new Map<string, Row | undefined>();
    for (const event of events) {
      const key = this.projection.keyOf(event);
      if (key === undefined) continue;
      const current = rows.has(key) ? rows.get(key) : await this.projection.load(tx, key);
      rows.set(key, this.projection.evolve(current, event));
    }
    for (const row of rows.values()) if (row !== undefined) await this.projection.save(tx, row);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .then((applied) => this.schedule(applied > 0 ? 0 : (this.options.pollIntervalMs ?? 100)))
        .catch((error: unknown) => {
          this.options.onError?.(error);
          this.schedule(1000);
        });
    }, delayMs);
  }
}
