import type { LogPosition } from '@darkroom/contracts';
import { pgErrorCode, UNIQUE_VIOLATION, type Sql } from '@darkroom/database';
import { newId } from '@darkroom/kernel';
import type { RowProjection } from './projection';
import { projectionLockKey } from './projection-runner';
import type { TableChecksum } from './projection-tables';
import { tablesOf } from './projection-tables';

/** `rebuild` replaces the live tables; `verify` rebuilds aside only to compare checksums. */
export type RebuildKind = 'rebuild' | 'verify';
export type RebuildState = 'requested' | 'running' | 'switching' | 'completed' | 'failed';

export interface RebuildJob {
  readonly id: string;
  readonly projection: string;
  readonly kind: RebuildKind;
  readonly state: RebuildState;
  readonly eventsTotal: number | null;
  readonly eventsDone: number;
  readonly error: string | null;
  readonly live: TableChecksum | null;
  readonly rebuilt: TableChecksum | null;
  readonly position: LogPosition | null;
  readonly requestedAt: Date;
  readonly startedAt: Date | null;
  readonly updatedAt: Date;
  readonly finishedAt: Date | null;
}

export interface ProjectionStatus {
  readonly name: string;
  readonly eventTypes: readonly string[];
  readonly tables: readonly string[];
  readonly host: string;
  readonly heartbeatAt: Date;
  readonly checkpoint: (LogPosition & { readonly updatedAt: Date }) | null;
  /** Events of the projection's types after its checkpoint (including ones not yet committed). */
  readonly eventsBehind: number;
}

/** A job is already requested or running for this projection. */
export class RebuildInProgress extends Error {
  constructor(readonly projection: string) {
    super(`A rebuild of ${projection} is already in progress`);
    this.name = 'RebuildInProgress';
  }
}

interface JobRecord {
  id: string;
  projection: string;
  kind: RebuildKind;
  state: RebuildState;
  events_total: string | null;
  events_done: string;
  error: string | null;
  live_checksum: string | null;
  live_rows: string | null;
  rebuilt_checksum: string | null;
  rebuilt_rows: string | null;
  position_transaction_id: string | null;
  position_global: string | null;
  requested_at: Date;
  started_at: Date | null;
  updated_at: Date;
  finished_at: Date | null;
}

const JOB_COLUMNS = `id, projection, kind, state, events_total, events_done, error, live_checksum, live_rows,
  rebuilt_checksum, rebuilt_rows, position_transaction_id::text AS position_transaction_id,
  position_global::text AS position_global, requested_at, started_at, updated_at, finished_at`;

const checksumOf = (checksum: string | null, rows: string | null): TableChecksum | null =>
  checksum === null ? null : { checksum, rows: Number(rows ?? 0) };

function toJob(record: JobRecord): RebuildJob {
  return {
    id: record.id,
    projection: record.projection,
    kind: record.kind,
    state: record.state,
    eventsTotal: record.events_total === null ? null : Number(record.events_total),
    eventsDone: Number(record.events_done),
    error: record.error,
    live: checksumOf(record.live_checksum, record.live_rows),
    rebuilt: checksumOf(record.rebuilt_checksum, record.rebuilt_rows),
    position:
      record.position_transaction_id === null
        ? null
        : { transactionId: record.position_transaction_id, globalPosition: record.position_global ?? '0' },
    requestedAt: new Date(record.requested_at),
    startedAt: record.started_at && new Date(record.started_at),
    updatedAt: new Date(record.updated_at),
    finishedAt: record.finished_at && new Date(record.finished_at),
  };
}

/**
 * The registry of hosted projections and their rebuild jobs, both in tables so that any
 * gateway instance reports what any host process does (decision 0015).
 */
export class RebuildJobs {
  constructor(private readonly sql: Sql) {}

  /** Records (or refreshes) the projections a process hosts. */
  async register(projections: readonly Pick<RowProjection<unknown>, 'name' | 'eventTypes' | 'tables'>[], host: string): Promise<void> {
    for (const projection of projections) {
      await this.sql.query(
        `INSERT INTO projections (name, event_types, tables, host) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name) DO UPDATE SET event_types = $2, tables = $3, host = $4, heartbeat_at = now()`,
        [projection.name, projection.eventTypes, tablesOf(projection), host],
      );
    }
  }

  async heartbeat(names: readonly string[], host: string): Promise<void> {
    await this.sql.query(`UPDATE projections SET heartbeat_at = now(), host = $2 WHERE name = ANY($1)`, [names, host]);
  }

  /** Every registered projection with its checkpoint and lag, or one by name. */
  async statuses(name?: string): Promise<ProjectionStatus[]> {
    const { rows } = await this.sql.query<{
      name: string;
      event_types: string[];
      tables: string[];
      host: string;
      heartbeat_at: Date;
      transaction_id: string | null;
      global_position: string | null;
      checkpoint_at: Date | null;
      events_behind: string;
    }>(
      `SELECT p.name, p.event_types, p.tables, p.host, p.heartbeat_at, c.transaction_id::text AS transaction_id,
              c.global_position::text AS global_position, c.updated_at AS checkpoint_at,
              (SELECT count(*) FROM events e
                WHERE (e.transaction_id, e.global_position) > (coalesce(c.transaction_id, '0'::xid8), coalesce(c.global_position, 0))
                  AND e.type = ANY(p.event_types))::text AS events_behind
         FROM projections p LEFT JOIN checkpoints c ON c.name = $2 || p.name
        WHERE $1::text IS NULL OR p.name = $1
        ORDER BY p.name`,
      [name ?? null, projectionLockKey('')],
    );
    return rows.map((row) => ({
      name: row.name,
      eventTypes: row.event_types,
      tables: row.tables,
      host: row.host,
      heartbeatAt: new Date(row.heartbeat_at),
      checkpoint:
        row.transaction_id === null
          ? null
          : { transactionId: row.transaction_id, globalPosition: row.global_position ?? '0', updatedAt: new Date(row.checkpoint_at as Date) },
      eventsBehind: Number(row.events_behind),
    }));
  }

  /** Queues a job; throws RebuildInProgress when one is already queued or running. */
  async request(projection: string, kind: RebuildKind): Promise<RebuildJob> {
    try {
      const { rows } = await this.sql.query<JobRecord>(
        `INSERT INTO projection_rebuilds (id, projection, kind, state) VALUES ($1, $2, $3, 'requested') RETURNING ${JOB_COLUMNS}`,
        [newId(), projection, kind],
      );
      return toJob(rows[0]);
    } catch (error) {
      if (pgErrorCode(error) === UNIQUE_VIOLATION) throw new RebuildInProgress(projection);
      throw error;
    }
  }

  async get(id: string): Promise<RebuildJob | undefined> {
    const { rows } = await this.sql.query<JobRecord>(`SELECT ${JOB_COLUMNS} FROM projection_rebuilds WHERE id = $1`, [id]);
    return rows[0] && toJob(rows[0]);
  }

  /** The newest job of a projection (of one kind when given). */
  async latest(projection: string, kind?: RebuildKind): Promise<RebuildJob | undefined> {
    const { rows } = await this.sql.query<JobRecord>(
      `SELECT ${JOB_COLUMNS} FROM projection_rebuilds WHERE projection = $1 AND ($2::text IS NULL OR kind = $2)
        ORDER BY requested_at DESC LIMIT 1`,
      [projection, kind ?? null],
    );
    return rows[0] && toJob(rows[0]);
  }

  /** Takes a queued job, or one whose host stopped renewing its lease, for one of `projections`. */
  async claim(projections: readonly string[], owner: string, leaseMs: number): Promise<RebuildJob | undefined> {
    const { rows } = await this.sql.query<JobRecord>(
      `UPDATE projection_rebuilds SET state = 'running', owner = $2, lease_until = now() + $3 * interval '1 millisecond',
              started_at = now(), updated_at = now(), events_done = 0, events_total = NULL
        WHERE id = (SELECT id FROM projection_rebuilds
                     WHERE projection = ANY($1)
                       AND (state = 'requested' OR (state IN ('running', 'switching') AND lease_until < now()))
                     ORDER BY requested_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING ${JOB_COLUMNS}`,
      [projections, owner, leaseMs],
    );
    return rows[0] && toJob(rows[0]);
  }

  /** Records progress and renews the lease; false when the job is no longer this owner's. */
  async progress(id: string, owner: string, update: { done: number; total: number; state?: RebuildState }, leaseMs: number): Promise<boolean> {
    const { rowCount } = await this.sql.query(
      `UPDATE projection_rebuilds SET events_done = $3, events_total = $4, state = coalesce($5, state),
              lease_until = now() + $6 * interval '1 millisecond', updated_at = now()
        WHERE id = $1 AND owner = $2 AND state IN ('running', 'switching')`,
      [id, owner, update.done, update.total, update.state ?? null, leaseMs],
    );
    return rowCount === 1;
  }

  async complete(
    id: string,
    owner: string,
    result: { done: number; live: TableChecksum; rebuilt: TableChecksum; position: LogPosition },
  ): Promise<void> {
    await this.sql.query(
      `UPDATE projection_rebuilds SET state = 'completed', events_done = $3, live_checksum = $4, live_rows = $5,
              rebuilt_checksum = $6, rebuilt_rows = $7, position_transaction_id = $8::xid8, position_global = $9,
              lease_until = NULL, updated_at = now(), finished_at = now()
        WHERE id = $1 AND owner = $2`,
      [id, owner, result.done, result.live.checksum, result.live.rows, result.rebuilt.checksum, result.rebuilt.rows,
        result.position.transactionId, result.position.globalPosition],
    );
  }

  async fail(id: string, owner: string, error: string): Promise<void> {
    await this.sql.query(
      `UPDATE projection_rebuilds SET state = 'failed', error = $3, lease_until = NULL, updated_at = now(), finished_at = now()
        WHERE id = $1 AND owner = $2`,
      [id, owner, error],
    );
  }

  /** Hands a job back to the queue (its host is shutting down); another host restarts it. */
  async release(id: string, owner: string): Promise<void> {
    await this.sql.query(
      `UPDATE projection_rebuilds SET state = 'requested', owner = NULL, lease_until = NULL, updated_at = now()
        WHERE id = $1 AND owner = $2 AND state IN ('running', 'switching')`,
      [id, owner],
    );
  }
}
