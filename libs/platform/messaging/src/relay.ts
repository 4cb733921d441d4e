import { Logger } from '@nestjs/common';
import { LOG_START, routingKey, type LogPosition, type RecordedEvent } from '@darkroom/contracts';
import type { Sql, TypeormSql } from '@darkroom/database';
import type { CommitSignal, EventStore } from '@darkroom/event-store';
import { systemClock, type Clock } from '@darkroom/kernel';
import type { EventMessage, MessageBus } from './message-bus';

export interface RelayOptions {
  /** Gives the relay a dedicated connection for its advisory lock. */
  readonly sql: TypeormSql;
  readonly store: EventStore;
  readonly bus: MessageBus;
  /** One relay per database and name is active; the checkpoint is `relay:<name>` (default `relay`). */
  readonly name?: string;
  /** Events read and published per round (default 500). */
  readonly batchSize?: number;
  /** Pause when the log has no more safe events, and between lock attempts (default 100 ms). */
  readonly pollIntervalMs?: number;
  /** Cuts the idle pause short when events are committed; the poll stays as the safety net. */
  readonly commits?: CommitSignal;
  /** Failed rounds (publish refused, database gone); the relay retries after a pause. Default: logged. */
  readonly onError?: (error: unknown) => void;
  /** Times the activity readiness looks at (default the system clock). */
  readonly clock?: Clock;
}

/** How far behind the relay is. */
export interface RelayLag {
  /** Last event published and checkpointed (`LOG_START` before the first). */
  readonly position: LogPosition;
  /** Committed events after it, including ones not yet safe to read (an older transaction is still open). */
  readonly pending: number;
}

const ERROR_PAUSE_MS = 1_000;

export const toEventMessage = (event: RecordedEvent): EventMessage => ({
  ...event,
  routingKey: routingKey(event.streamId, event.type),
});

/**
 * Tails the event log with the commit-safe cursor and publishes it (DESIGN §3): read after
 * the checkpoint, publish the batch (confirmed), then move the checkpoint. A failed publish
 * leaves the checkpoint where it was, so the batch is published again: at least once.
 * A session-level advisory lock makes one relay per database and name active; the others
 * poll for the lock and take over when the holder stops or its connection dies.
 */
export class Relay {
  private readonly name: string;
  private readonly checkpoint: string;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private running?: Promise<void>;
  private stopping = false;
  private wake?: () => void;
  /** Ends the active relay's idle pause (not a wait for the lock or an error pause). */
  private wakeIdle?: () => void;
  /** A commit was announced since the last round began: the next pause is skipped. */
  private committed = false;
  private unsubscribe?: () => void;
  /** The lock session while this relay is the active one. */
  private session?: Sql;
  /** Serialises rounds of the loop and `runOnce`. */
  private rounds: Promise<unknown> = Promise.resolve();
  /**
   * Where publishing goes on, ahead of the checkpoint, for a bus that reports what it has
   * settled (the in-process bus); reset whenever the lock is given up.
   */
  private cursor?: LogPosition;
  private lastSaved?: LogPosition;
  /** For readiness: when this instance took the lock, and when a round last succeeded. */
  private activeSince?: Date;
  private lastRoundAt?: Date;
  private readonly clock: Clock;

  constructor(private readonly options: RelayOptions) {
    this.name = options.name ?? 'relay';
    this.checkpoint = `relay:${this.name}`;
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 100;
    this.clock = options.clock ?? systemClock;
  }

  /** True while this instance holds the lock and publishes. */
  get isActive(): boolean {
    return this.session !== undefined;
  }

  /** Progress for stall detection: a relay waiting for the lock is not active (and not stalled). */
  get activity(): { readonly active: boolean; readonly since?: Date; readonly lastTickAt?: Date } {
    return { active: this.isActive, since: this.activeSince, lastTickAt: this.lastRoundAt };
  }

  /** Starts relaying in the background; returns at once. */
  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.unsubscribe = this.options.commits?.subscribe(() => this.onCommit());
    this.running = this.loop();
  }

  /** Finishes the round in progress, releases the lock and returns. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.wake?.();
    await this.running;
    this.running = undefined;
  }

  /**
   * One round: publishes up to `batchSize` events and returns how many. Publishes nothing
   * (0) when another relay of the same name holds the lock.
   */
  async runOnce(): Promise<number> {
    const session = this.session;
    if (session) return this.exclusive(() => this.round(session));
    return this.options.sql.withConnection(async (connection) => {
      if (!(await this.tryLock(connection))) return 0;
      try {
        return await this.exclusive(() => this.round(connection));
      } finally {
        await this.unlock(connection);
      }
    });
  }

  async lag(): Promise<RelayLag> {
    const position = await this.readCheckpoint(this.options.sql);
    const { rows } = await this.options.sql.query<{ pending: number }>(
      `SELECT count(*)::int AS pending FROM events WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)`,
      [position.transactionId, position.globalPosition],
    );
    return { position, pending: rows[0]?.pending ?? 0 };
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.options.sql.withConnection((connection) => this.whileLocked(connection));
      } catch (error) {
        this.report(error);
        await this.sleep(ERROR_PAUSE_MS);
      }
    }
  }

  private async whileLocked(connection: Sql): Promise<void> {
    while (!this.stopping && !(await this.tryLock(connection))) await this.sleep(this.pollIntervalMs);
    if (this.stopping) return;
    this.session = connection;
    this.activeSince = this.clock.now();
    this.lastRoundAt = undefined;
    try {
      while (!this.stopping) {
        let published: number;
        this.committed = false;
        try {
          published = await this.exclusive(() => this.round(connection));
          this.lastRoundAt = this.clock.now();
        } catch (error) {
          this.report(error);
          await connection.query('SELECT 1'); // a dead lock session ends the turn: the lock is gone
          await this.sleep(ERROR_PAUSE_MS);
          continue;
        }
        if (published < this.batchSize && !this.committed) await this.sleep(this.pollIntervalMs, true);
      }
    } finally {
      this.session = undefined;
      this.cursor = undefined;
      await this.unlock(connection);
    }
  }

  private async round(session: Sql): Promise<number> {
    const { bus } = this.options;
    const tracksSettlement = typeof bus.settledThrough === 'function';
    const after = (tracksSettlement && this.cursor) || (await this.readCheckpoint(session));
    const events = await this.options.store.readAll(after, { limit: this.batchSize });
    if (events.length > 0) {
      await bus.publish(events.map(toEventMessage));
      if (tracksSettlement) this.cursor = events[events.length - 1];
    }
    const safe = tracksSettlement ? bus.settledThrough!() : events[events.length - 1];
    if (safe && safe !== this.lastSaved) await this.saveCheckpoint(session, safe);
    this.lastSaved = safe;
    return events.length;
  }

  private async saveCheckpoint(session: Sql, position: LogPosition): Promise<void> {
    // Never moves backwards, even if a stale instance finishes a round late.
    await session.query(
      `INSERT INTO checkpoints (name, transaction_id, global_position, updated_at)
       VALUES ($1, $2::xid8, $3::bigint, now())
       ON CONFLICT (name) DO UPDATE
          SET transaction_id = EXCLUDED.transaction_id, global_position = EXCLUDED.global_position, updated_at = now()
        WHERE (checkpoints.transaction_id, checkpoints.global_position) < (EXCLUDED.transaction_id, EXCLUDED.global_position)`,
      [this.checkpoint, position.transactionId, position.globalPosition],
    );
  }

  private async readCheckpoint(sql: Sql): Promise<LogPosition> {
    const { rows } = await sql.query<{ transaction_id: string; global_position: string }>(
      `SELECT transaction_id::text AS transaction_id, global_position::text AS global_position
         FROM checkpoints WHERE name = $1`,
      [this.checkpoint],
    );
    const row = rows[0];
    return row ? { transactionId: row.transaction_id, globalPosition: row.global_position } : LOG_START;
  }

  private async tryLock(session: Sql): Promise<boolean> {
    const { rows } = await session.query<{ locked: boolean }>(
      `SELECT pg_try_advisory_lock(hashtext('darkroom.relay'), hashtext($1)) AS locked`,
      [this.checkpoint],
    );
    return rows[0]?.locked === true;
  }

  private async unlock(session: Sql): Promise<void> {
    await session
      .query(`SELECT pg_advisory_unlock(hashtext('darkroom.relay'), hashtext($1))`, [this.checkpoint])
      .catch(() => undefined); // a broken session released the lock with it
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.rounds.then(work);
    this.rounds = result.catch(() => undefined);
    return result;
  }

  /** Only the active relay's idle pause is cut short; a standby waiting for the lock is not. */
  private onCommit(): void {
    this.committed = true;
    this.wakeIdle?.();
  }

  private sleep(ms: number, idle = false): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeIdle = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
      if (idle) this.wakeIdle = done;
    });
  }

  private report(error: unknown): void {
    if (this.options.onError) this.options.onError(error);
    else new Logger(Relay.name).error(`relay ${this.name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
