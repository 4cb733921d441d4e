/** Carried by every event; the task id is the correlation id of everything a task causes. */
export interface EventMetadata {
  readonly correlationId: string;
  /** Event id of the event that caused this one; absent for events caused by a request. */
  readonly causationId?: string;
  readonly accountId?: string;
  /** Request id of the HTTP call that started the chain, when there was one. */
  readonly requestId?: string;
  readonly schemaVersion: number;
}

/** An event as a decider produces it: a past-tense fact, plain data. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
}

/** An event ready to append: the id makes the append idempotent. */
export interface NewEvent<Type extends string = string, Data = unknown> extends DomainEvent<Type, Data> {
  readonly eventId: string;
  readonly metadata: EventMetadata;
  /**
   * What the event is about inside a never-ending stream (a reservation of a credit account):
   * indexed with the stream, so a command reads its subject's events instead of the stream.
   */
  readonly subject?: string;
}

/** An event as the store returns it. Positions are bigint values carried as decimal strings. */
export interface RecordedEvent<Type extends string = string, Data = unknown> extends NewEvent<Type, Data> {
  readonly streamId: string;
  readonly streamVersion: number;
  readonly globalPosition: string;
  /** xid8 of the appending transaction, as a decimal string. */
  readonly transactionId: string;
  readonly recordedAt: string;
}

/**
 * An event of the union `E` as the store returns it: the event's own `type` and `data`, still a
 * discriminated union (a `switch` on `type` narrows `data`), with the envelope the store adds.
 * `Recorded` alone is any recorded event, as `RecordedEvent`.
 */
export type Recorded<E extends DomainEvent = DomainEvent> = E & Omit<RecordedEvent, 'type' | 'data'>;

/** Where a reader of the global log stands: rows are ordered by (transactionId, globalPosition). */
export interface LogPosition {
  readonly transactionId: string;
  readonly globalPosition: string;
}

export const LOG_START: LogPosition = { transactionId: '0', globalPosition: '0' };
