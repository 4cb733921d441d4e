import type { DomainEvent, EventMetadata, LogPosition, NewEvent, Recorded } from '@darkroom/contracts';
import { fold, type Decider, type SubjectDecider, type SubjectState } from '@darkroom/kernel';
import { pgConstraint, pgErrorCode, UNIQUE_VIOLATION, type Sql } from '@darkroom/database';
import { IdempotencyConflict, StreamOrderConflict, StreamVersionConflict } from './errors';
import {
  ANY,
  NO_STREAM,
  type AppendResult,
  type EventStore,
  type ExpectedVersion,
  type HandleOptions,
  type HandleResult,
  type ReadAllOptions,
} from './event-store';

interface EventRow {
  global_position: string;
  stream_id: string;
  stream_version: number;
  event_id: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  transaction_id: string;
  recorded_at: Date | string;
}

const MAX_ANY_ATTEMPTS = 10;

/** Events folded per read when a summary catches up with its stream. */
const SUMMARY_PAGE = 10_000;

const COLUMNS = `global_position, stream_id, stream_version, event_id, type, data, metadata,
  transaction_id::text AS transaction_id, recorded_at`;

/**
 * The store's one decode point: a stored row's type and data as an event of the reader's union
 * `E`. Rows are trusted, not validated: one owner writes each stream, so a stream holds its
 * owner's union, and a reader of the log asks for the types it names. When an event's schema
 * changes, the upcast of rows written under an older `metadata.schemaVersion` goes here, and
 * the readers that select only type and data (the subject and summary reads) select it too.
 */
function decode<E extends DomainEvent>(row: { readonly type: string; readonly data: unknown }): E {
  return { type: row.type, data: row.data } as E;
}

function toRecorded<E extends DomainEvent>(row: EventRow): Recorded<E> {
  return {
    globalPosition: String(row.global_position),
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    eventId: row.event_id,
    ...decode<E>(row),
    metadata: row.metadata,
    transactionId: String(row.transaction_id),
    recordedAt: new Date(row.recorded_at).toISOString(),
  };
}

/** Parameters $3–$7 of an insert into `events` from `unnest`: ids, types, data, metadata, subjects. */
function eventColumns(events: readonly NewEvent[]): unknown[] {
  return [
    events.map((e) => e.eventId),
    events.map((e) => e.type),
    events.map((e) => JSON.stringify(e.data)),
    events.map((e) => JSON.stringify(e.metadata)),
    events.map((e) => e.subject ?? null),
  ];
}

/**
 * The oldest transaction that may still commit rows into this database's events table.
 * A snapshot's xmin is cluster-wide: one long transaction in any other database on the same
 * server would hold back every reader here. Running transactions positively seen in
 * pg_stat_activity as belonging to another database are left out; every other one (ours,
 * one that ended since the snapshot, one this role may not inspect) still counts, so the
 * horizon can only be earlier than needed, never later (decision 0017). The caller's own
 * transaction is not in its snapshot's list, so it is added back.
 */
const WRITE_HORIZON = `
  snapshot AS (SELECT pg_current_snapshot() AS s),
  elsewhere AS (
    SELECT backend_xid::text::bigint AS xid32 FROM pg_stat_activity
     WHERE backend_xid IS NOT NULL AND datname IS NOT NULL AND datname <> current_database()
  ),
  write_horizon AS (
    SELECT least(
      (SELECT min(running) FROM snapshot, pg_snapshot_xip(snapshot.s) AS running
        WHERE running::text::bigint % 4294967296 NOT IN (SELECT xid32 FROM elsewhere)),
      (SELECT pg_snapshot_xmax(snapshot.s) FROM snapshot),
      pg_current_xact_id_if_assigned()
    ) AS xid
  )`;

/** The event store on PostgreSQL; see DESIGN §2 for the guarantees each method keeps. */
export class PgEventStore implements EventStore {
  constructor(private readonly sql: Sql) {}

  async append(streamId: string, events: readonly NewEvent[], expected: ExpectedVersion): Promise<AppendResult> {
    // ANY promises "wherever the stream ends": losing a race to a concurrent append is retried.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.appendOnce(streamId, events, expected);
      } catch (error) {
        if (expected !== ANY || !(error instanceof StreamVersionConflict) || attempt >= MAX_ANY_ATTEMPTS) throw error;
      }
    }
  }

  private async appendOnce(streamId: string, events: readonly NewEvent[], expected: ExpectedVersion): Promise<AppendResult> {
    if (events.length === 0) {
      return { streamVersion: await this.currentVersion(this.sql, streamId), positions: [], replayed: false };
    }
    try {
      return await this.sql.transaction((tx) => this.appendIn(tx, streamId, events, expected));
    } catch (error) {
      if (pgErrorCode(error) !== UNIQUE_VIOLATION) throw error;
      if (pgConstraint(error) === 'events_event_id_key') {
        // A concurrent append stored these ids first: now it is a replay or a conflict.
        return this.sql.transaction((tx) => this.appendIn(tx, streamId, events, expected));
      }
      throw new StreamVersionConflict(streamId, expected, await this.currentVersion(this.sql, streamId));
    }
  }

  async readStream<E extends DomainEvent = DomainEvent>(streamId: string, fromVersion = 1): Promise<Recorded<E>[]> {
    const { rows } = await this.sql.query<EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE stream_id = $1 AND stream_version >= $2 ORDER BY stream_version`,
      [streamId, fromVersion],
    );
    return rows.map((row) => toRecorded<E>(row));
  }

  async readAll<E extends DomainEvent = DomainEvent>(after: LogPosition, options: ReadAllOptions<E>): Promise<Recorded<E>[]> {
    // Only rows of transactions older than every running one that may write here: a slower
    // transaction that commits later with a smaller global position can then never be
    // skipped (DESIGN §2). ORDER BY names the table's columns: bare `transaction_id` would be
    // the text alias of COLUMNS, sorting '10000' before '9999' (skipping events) and
    // bypassing the index.
    const { rows } = await this.sql.query<EventRow>(
      `WITH ${WRITE_HORIZON}
       SELECT ${COLUMNS} FROM events
        WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
          AND transaction_id < (SELECT xid FROM write_horizon)
          AND ($4::text[] IS NULL OR type = ANY($4::text[]))
        ORDER BY events.transaction_id, events.global_position
        LIMIT $3`,
      [after.transactionId, after.globalPosition, options.limit, options.types ?? null],
    );
    return rows.map((row) => toRecorded<E>(row));
  }

  async readCorrelated<E extends DomainEvent = DomainEvent>(correlationId: string): Promise<Recorded<E>[]> {
    const { rows } = await this.sql.query<EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE metadata->>'correlationId' = $1 ORDER BY events.transaction_id, events.global_position`,
      [correlationId],
    );
    return rows.map((row) => toRecorded<E>(row));
  }

  async handle<Command, Event extends { readonly type: string; readonly data: unknown }, State>(
    streamId: string,
    decider: Decider<Command, Event, State>,
    command: Command,
    options: HandleOptions,
  ): Promise<HandleResult<State, Event>> {
    // One writer per stream at a time: a hot stream (one account's ledger under a burst)
    // would otherwise lose the optimistic race often enough to exhaust the retries. The
    // transaction-scoped lock lasts until the caller's transaction ends.
    return this.sql.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [streamId]);
      return new PgEventStore(tx).decideAndAppend(streamId, decider, command, options);
    });
  }

  private async decideAndAppend<Command, Event extends { readonly type: string; readonly data: unknown }, State>(
    streamId: string,
    decider: Decider<Command, Event, State>,
    command: Command,
    options: HandleOptions,
  ): Promise<HandleResult<State, Event>> {
    const maxAttempts = options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      const recorded = await this.readStream<Event>(streamId);
      const version = recorded.length === 0 ? 0 : recorded[recorded.length - 1].streamVersion;
      const state = fold(decider, recorded);
      const events = decider.decide(command, state);
      if (events.length === 0) return { state, events, streamVersion: version };
      const toAppend = events.map((event, index) => ({
        eventId: options.eventId(index, event.type),
        type: event.type,
        data: event.data,
        metadata: options.metadata,
      }));
      try {
        const result = await this.append(streamId, toAppend, version === 0 ? NO_STREAM : version);
        return { state: events.reduce(decider.evolve, state), events, streamVersion: result.streamVersion };
      } catch (error) {
        if (!(error instanceof StreamVersionConflict) || attempt >= maxAttempts) throw error;
      }
    }
  }

  async handleSubject<Command, Event extends { readonly type: string; readonly data: unknown }, Summary, Subject>(
    streamId: string,
    decider: SubjectDecider<Command, Event, Summary, Subject>,
    command: Command,
    options: HandleOptions,
  ): Promise<HandleResult<SubjectState<Summary, Subject>, Event>> {
    return this.sql.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [streamId]);
      return new PgEventStore(tx).decideForSubject(streamId, decider, command, options);
    });
  }

  /**
   * Under the stream's lock, in two statements: one read (snapshot, the stream's head, the
   * subject's events) and one write (the events and the moved snapshot, checked against the
   * stream's head in the same statement). A hot account's commands queue on its lock, so the
   * round trips made while holding it set the account's throughput.
   */
  private async decideForSubject<Command, Event extends { readonly type: string; readonly data: unknown }, Summary, Subject>(
    streamId: string,
    decider: SubjectDecider<Command, Event, Summary, Subject>,
    command: Command,
    options: HandleOptions,
  ): Promise<HandleResult<SubjectState<Summary, Subject>, Event>> {
    const maxAttempts = options.maxAttempts ?? 5;
    const key = decider.subjectOf(command);
    for (let attempt = 1; ; attempt++) {
      const { summary, version, stale, history } = await this.readForSubject<Event, Summary>(streamId, decider, key);
      const state = { summary, subject: history.reduce(decider.evolveSubject, decider.initialSubject()) };
      const events = decider.decide(command, state);
      if (events.length === 0) {
        if (stale) await this.saveSnapshot(streamId, decider.snapshotName, version, summary);
        return { state, events, streamVersion: version };
      }
      const toAppend = events.map((event, index) => ({
        eventId: options.eventId(index, event.type),
        type: event.type,
        data: event.data,
        metadata: options.metadata,
        subject: decider.subjectOfEvent(event),
      }));
      const next = { summary: events.reduce(decider.evolveSummary, summary), subject: events.reduce(decider.evolveSubject, state.subject) };
      try {
        const written = await this.appendWithSnapshot(streamId, toAppend, version, decider.snapshotName, next.summary);
        if (written) return { state: next, events, streamVersion: version + events.length };
        // An id already stored: the general path tells a replay from a conflict.
        const result = await this.append(streamId, toAppend, version === 0 ? NO_STREAM : version);
        if (!result.replayed) await this.saveSnapshot(streamId, decider.snapshotName, result.streamVersion, next.summary);
        return { state: next, events, streamVersion: result.streamVersion };
      } catch (error) {
        if (!(error instanceof StreamVersionConflict) || attempt >= maxAttempts) throw error;
      }
    }
  }

  /**
   * The state's parts in one statement: the snapshot, the stream's head, the subject's events.
   * A stream whose head is past its snapshot (one not snapshotted yet, or appended to by other
   * means) has its summary brought up to date by `loadSummary`.
   */
  private async readForSubject<Event extends DomainEvent, Summary>(
    streamId: string,
    decider: Pick<SubjectDecider<unknown, Event, Summary, unknown>, 'snapshotName' | 'initialSummary' | 'evolveSummary'>,
    subject: string,
  ): Promise<{ summary: Summary; version: number; stale: boolean; history: Event[] }> {
    const { rows } = await this.sql.query<{ part: 'snapshot' | 'head' | 'subject'; stream_version: number; type: string | null; data: unknown }>(
      `(SELECT 'snapshot' AS part, stream_version, NULL AS type, state AS data FROM stream_snapshots WHERE stream_id = $1 AND name = $2)
       UNION ALL
       (SELECT 'head', stream_version, NULL, NULL FROM events WHERE stream_id = $1 ORDER BY stream_version DESC LIMIT 1)
       UNION ALL
       (SELECT 'subject', stream_version, type, data FROM events WHERE stream_id = $1 AND subject = $3)`,
      [streamId, decider.snapshotName, subject],
    );
    const history = rows
      .filter((row): row is typeof row & { type: string } => row.part === 'subject')
      .sort((a, b) => a.stream_version - b.stream_version)
      .map((row) => decode<Event>(row));
    const snapshot = rows.find((row) => row.part === 'snapshot');
    const head = rows.find((row) => row.part === 'head')?.stream_version ?? 0;
    if (snapshot && snapshot.stream_version === head) {
      return { summary: snapshot.data as Summary, version: head, stale: false, history };
    }
    if (!snapshot && head === 0) return { summary: decider.initialSummary(), version: 0, stale: false, history };
    return { ...(await this.loadSummary(streamId, decider)), history };
  }

  /**
   * Appends after `version` and moves the snapshot, in one statement. False when an event id is
   * already stored (nothing written); a stream not at `version` is a `StreamVersionConflict`,
   * and a stream last written by a younger transaction a `StreamOrderConflict` (decision 0018).
   */
  private async appendWithSnapshot(
    streamId: string,
    events: readonly NewEvent[],
    version: number,
    snapshotName: string,
    summary: unknown,
  ): Promise<boolean> {
    const { rows } = await this.sql.query<{ head: number; younger: boolean; written: number }>(
      `WITH head AS (
         SELECT coalesce(max(stream_version), 0)::int AS version, coalesce(bool_or(transaction_id > pg_current_xact_id()), false) AS younger
           FROM (SELECT stream_version, transaction_id FROM events WHERE stream_id = $1 ORDER BY stream_version DESC LIMIT 1) AS last
       ), appended AS (
         INSERT INTO events (stream_id, stream_version, event_id, type, data, metadata, subject)
         SELECT $1, $2::int + e.ord, e.event_id, e.type, e.data::jsonb, e.metadata::jsonb, e.subject
           FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY
                AS e(event_id, type, data, metadata, subject, ord)
          WHERE (SELECT version = $2::int AND NOT younger FROM head)
          ORDER BY e.ord
         ON CONFLICT DO NOTHING
         RETURNING 1
       ), snapshot AS (
         INSERT INTO stream_snapshots (stream_id, name, stream_version, state)
         SELECT $1, $8, $2::int + cardinality($3::uuid[]), $9::jsonb
          WHERE (SELECT count(*) FROM appended) = cardinality($3::uuid[])
         ON CONFLICT (stream_id) DO UPDATE SET name = EXCLUDED.name, stream_version = EXCLUDED.stream_version,
                                               state = EXCLUDED.state, taken_at = now()
       )
       SELECT head.version AS head, head.younger, (SELECT count(*) FROM appended)::int AS written FROM head`,
      [
        streamId,
        version,
        ...eventColumns(events),
        snapshotName,
        JSON.stringify(summary),
      ],
    );
    const { head, younger, written } = rows[0]!;
    if (written > 0) this.sql.announceCommit?.();
    if (head !== version) throw new StreamVersionConflict(streamId, version === 0 ? NO_STREAM : version, head);
    if (younger) throw new StreamOrderConflict(streamId);
    if (written === events.length) return true;
    if (written === 0) return false;
    throw new IdempotencyConflict(events.map((e) => e.eventId));
  }

  /**
   * The summary at the stream's head: the snapshot, then the events after it (none when every
   * append went through `handleSubject`; the whole stream, a page at a time, the first time a
   * stream written before snapshots existed is handled). `stale` when the snapshot lags.
   */
  private async loadSummary<Event extends DomainEvent, Summary>(
    streamId: string,
    decider: Pick<SubjectDecider<unknown, Event, Summary, unknown>, 'snapshotName' | 'initialSummary' | 'evolveSummary'>,
  ): Promise<{ summary: Summary; version: number; stale: boolean }> {
    const { rows } = await this.sql.query<{ stream_version: number; state: Summary }>(
      `SELECT stream_version, state FROM stream_snapshots WHERE stream_id = $1 AND name = $2`,
      [streamId, decider.snapshotName],
    );
    let summary = rows[0]?.state ?? decider.initialSummary();
    let version = rows[0]?.stream_version ?? 0;
    let stale = false;
    for (;;) {
      const { rows: page } = await this.sql.query<{ type: string; data: unknown; stream_version: number }>(
        `SELECT type, data, stream_version FROM events
          WHERE stream_id = $1 AND stream_version > $2 ORDER BY stream_version LIMIT ${SUMMARY_PAGE}`,
        [streamId, version],
      );
      if (page.length === 0) return { summary, version, stale };
      summary = page.map((row) => decode<Event>(row)).reduce(decider.evolveSummary, summary);
      version = page[page.length - 1]!.stream_version;
      stale = true;
      if (page.length < SUMMARY_PAGE) return { summary, version, stale };
    }
  }

  private async saveSnapshot(streamId: string, name: string, version: number, summary: unknown): Promise<void> {
    await this.sql.query(
      `INSERT INTO stream_snapshots (stream_id, name, stream_version, state) VALUES ($1, $2, $3, $4::jsonb)
       ON CONFLICT (stream_id) DO UPDATE SET name = $2, stream_version = $3, state = $4::jsonb, taken_at = now()`,
      [streamId, name, version, JSON.stringify(summary)],
    );
  }

  transaction<T>(work: (store: EventStore) => Promise<T>): Promise<T> {
    return this.sql.transaction((tx) => work(new PgEventStore(tx)));
  }

  private async appendIn(
    tx: Sql,
    streamId: string,
    events: readonly NewEvent[],
    expected: ExpectedVersion,
  ): Promise<AppendResult> {
    const replay = await this.findReplay(tx, streamId, events);
    if (replay) return replay;

    const { version: actual, writtenByYounger } = await this.streamHead(tx, streamId);
    if ((expected === NO_STREAM && actual !== 0) || (typeof expected === 'number' && expected !== actual)) {
      throw new StreamVersionConflict(streamId, expected, actual);
    }
    // Readers take the log in (transaction, position) order, so within a stream the
    // transaction ids must grow with the versions, or a reader would apply this event before
    // the one it follows (an older transaction that waited for the stream's lock).
    if (writtenByYounger) throw new StreamOrderConflict(streamId);
    const from = expected === ANY ? actual : expected === NO_STREAM ? 0 : expected;
    const { rows } = await tx.query<{ global_position: string; stream_version: number }>(
      `INSERT INTO events (stream_id, stream_version, event_id, type, data, metadata, subject)
       SELECT $1, $2::int + e.ord, e.event_id, e.type, e.data::jsonb, e.metadata::jsonb, e.subject
         FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY
              AS e(event_id, type, data, metadata, subject, ord)
        ORDER BY e.ord
       RETURNING global_position, stream_version`,
      [
        streamId,
        from,
        ...eventColumns(events),
      ],
    );
    // Readers hear of it once the transaction commits (`CommitAnnouncer`, or in-process).
    tx.announceCommit?.();
    const sorted = [...rows].sort((a, b) => a.stream_version - b.stream_version);
    return {
      streamVersion: from + events.length,
      positions: sorted.map((row) => String(row.global_position)),
      replayed: false,
    };
  }

  /** The original result when every id is already stored with the same payload. */
  private async findReplay(tx: Sql, streamId: string, events: readonly NewEvent[]): Promise<AppendResult | undefined> {
    const { rows } = await tx.query<{ event_id: string; global_position: string; stream_version: number; same: boolean }>(
      `SELECT e.event_id, e.global_position, e.stream_version,
              (e.stream_id = $1 AND e.type = x.type AND e.data = x.data::jsonb) AS same
         FROM events e
         JOIN unnest($2::uuid[], $3::text[], $4::text[]) AS x(event_id, type, data) ON e.event_id = x.event_id`,
      [streamId, events.map((e) => e.eventId), events.map((e) => e.type), events.map((e) => JSON.stringify(e.data))],
    );
    if (rows.length === 0) return undefined;
    if (rows.length !== events.length || rows.some((row) => !row.same)) {
      throw new IdempotencyConflict(rows.filter((row) => !row.same || rows.length !== events.length).map((r) => r.event_id));
    }
    const byId = new Map(rows.map((row) => [row.event_id, row]));
    const ordered = events.map((event) => byId.get(event.eventId)!);
    return {
      streamVersion: Math.max(...ordered.map((row) => row.stream_version)),
      positions: ordered.map((row) => String(row.global_position)),
      replayed: true,
    };
  }

  /** The stream's version, and whether its last events were written by a transaction younger than this one. */
  private async streamHead(tx: Sql, streamId: string): Promise<{ version: number; writtenByYounger: boolean }> {
    // The last version only: within a stream transaction ids grow with versions, so it has the
    // youngest writer, and reading it costs the same on a stream of a million events.
    const { rows } = await tx.query<{ version: number; younger: boolean }>(
      `SELECT stream_version AS version, transaction_id > pg_current_xact_id() AS younger
         FROM events WHERE stream_id = $1 ORDER BY stream_version DESC LIMIT 1`,
      [streamId],
    );
    return { version: rows[0]?.version ?? 0, writtenByYounger: rows[0]?.younger ?? false };
  }

  private async currentVersion(sql: Sql, streamId: string): Promise<number> {
    const { rows } = await sql.query<{ version: number }>(
      `SELECT COALESCE(MAX(stream_version), 0)::int AS version FROM events WHERE stream_id = $1`,
      [streamId],
    );
    return rows[0]?.version ?? 0;
  }
}
