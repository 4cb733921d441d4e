import type { DomainEvent, LogPosition, NewEvent, Recorded } from '@darkroom/contracts';
import type { Decider, SubjectDecider, SubjectState } from '@darkroom/kernel';

/** The stream must not exist yet. */
export const NO_STREAM = 'no_stream' as const;
/** Append wherever the stream ends. */
export const ANY = 'any' as const;
/** `NO_STREAM`, `ANY`, or the exact version the stream must be at (its last event's version). */
export type ExpectedVersion = typeof NO_STREAM | typeof ANY | number;

export interface AppendResult {
  /** Version of the last event of the stream after the append. */
  readonly streamVersion: number;
  /** Global positions of the appended events (the original ones when the append was a replay). */
  readonly positions: readonly string[];
  /** True when every event id was already stored with the same payload and nothing was written. */
  readonly replayed: boolean;
}

export interface HandleResult<State, Event> {
  readonly state: State;
  readonly events: readonly Event[];
  readonly streamVersion: number;
}

export interface HandleOptions {
  /** Metadata stamped on every produced event. */
  readonly metadata: NewEvent['metadata'];
  /**
   * Gives each produced event its id. Derive it from the cause (see `deriveId`) so that
   * a command handled twice appends the same ids and the second append is a no-op.
   */
  readonly eventId: (index: number, type: string) => string;
  /** Attempts on a version conflict before giving up (default 5). */
  readonly maxAttempts?: number;
}

export interface ReadAllOptions<E extends DomainEvent = DomainEvent> {
  readonly limit: number;
  /** Only events of these types, when given. */
  readonly types?: readonly E['type'][];
}

/**
 * The one port to the event log. An instance is bound to a connection pool or, inside
 * `transaction`, to one transaction: everything it does then commits or rolls back together.
 *
 * The reads are typed by the caller's event union `E` (default: any event, `data: unknown`):
 * one owner writes each stream, so its owner's union is what the stream holds, and a reader of
 * the global log names the types it asks for. The store decodes each row in one place (where a
 * schema-version upcast goes) and trusts the caller's `E`; it does not validate `data`.
 */
export interface EventStore {
  append(streamId: string, events: readonly NewEvent[], expected: ExpectedVersion): Promise<AppendResult>;
  /** Events of one stream in version order, from `fromVersion` (inclusive, default 1). */
  readStream<E extends DomainEvent = DomainEvent>(streamId: string, fromVersion?: number): Promise<Recorded<E>[]>;
  /**
   * The next events of the global log after `after`, in commit-safe order: only events of
   * transactions older than every transaction still running are returned, ordered by
   * (transaction id, global position), so a reader never skips one committed late.
   */
  readAll<E extends DomainEvent = DomainEvent>(after: LogPosition, options: ReadAllOptions<E>): Promise<Recorded<E>[]>;
  /**
   * Every event carrying this correlation id (a task's whole history across its streams),
   * in commit order.
   */
  readCorrelated<E extends DomainEvent = DomainEvent>(correlationId: string): Promise<Recorded<E>[]>;
  /** Load, fold, decide, append with the expected version; retried on conflict. */
  handle<Command, Event extends { readonly type: string; readonly data: unknown }, State>(
    streamId: string,
    decider: Decider<Command, Event, State>,
    command: Command,
    options: HandleOptions,
  ): Promise<HandleResult<State, Event>>;
  /**
   * `handle` for a never-ending stream, at a cost that does not grow with its history: the
   * summary comes from the stream's snapshot plus the events after it, the subject from that
   * subject's own events (indexed); the appended events carry their subject, and the snapshot
   * moves to the new version in the same transaction.
   */
  handleSubject<Command, Event extends { readonly type: string; readonly data: unknown }, Summary, Subject>(
    streamId: string,
    decider: SubjectDecider<Command, Event, Summary, Subject>,
    command: Command,
    options: HandleOptions,
  ): Promise<HandleResult<SubjectState<Summary, Subject>, Event>>;
  transaction<T>(work: (store: EventStore) => Promise<T>): Promise<T>;
}
