import type { LogPosition, RecordedEvent } from '@darkroom/contracts';

/** A recorded event on the wire; `routingKey` is `<category>.<EventType>`. */
export interface EventMessage extends RecordedEvent {
  readonly routingKey: string;
}

export interface ConsumerSpec {
  /** Consumer name: names its queue and scopes its inbox rows, e.g. "ledger". */
  readonly name: string;
  /** Routing keys (topic patterns allowed) the consumer's queue is bound to. */
  readonly bindings: readonly string[];
  /** Unacked messages in flight at once (default 16). */
  readonly prefetch?: number;
  /** Deliveries before a message goes to the dead-letter queue (default 5). */
  readonly maxAttempts?: number;
  /** Delay before each retry, by attempt; the last value repeats (default 1s, 5s, 30s). */
  readonly retryDelaysMs?: readonly number[];
}

/** What a subscriber sees of a delivery. */
export interface Delivery {
  readonly message: EventMessage;
  /** 1 on first delivery, incremented by every retry. */
  readonly attempt: number;
}

export interface Subscription {
  /** Stops new deliveries, waits for the handlers in flight, then releases the consumer. */
  close(): Promise<void>;
}

/**
 * At-least-once delivery of events to named consumers. A handler that resolves acks the
 * message; one that rejects has it retried later, and after `maxAttempts` dead-lettered.
 */
export interface MessageBus {
  /** Resolves only when every message is confirmed by the broker and routed to a queue. */
  publish(messages: readonly EventMessage[]): Promise<void>;
  subscribe(spec: ConsumerSpec, handler: (delivery: Delivery) => Promise<void>): Promise<Subscription>;
  close(): Promise<void>;
  /**
   * Offered by a bus that keeps messages only in memory: the log position up to which every
   * published message has been settled (handled, or dead-lettered) by every consumer it was
   * routed to. The relay checkpoints this rather than what it published, so after a crash
   * it publishes again whatever was still queued or waiting to be retried.
   */
  settledThrough?(): LogPosition | undefined;
  /** Offered by a bus with a broker connection: whether it is up now (cheap, no round trip). */
  isConnected?(): boolean;
  /** Messages waiting per consumer this process subscribed, for metrics. */
  queueDepths?(): Promise<QueueDepth[]>;
}

/** How many messages a consumer's queues hold. */
export interface QueueDepth {
  readonly consumer: string;
  /** Ready for delivery (not counting those being handled). */
  readonly ready: number;
  /** Waiting out a retry delay. */
  readonly retrying: number;
  readonly deadLettered: number;
}

/** A message a consumer gave up on, with what went wrong. */
export interface DeadLetter {
  readonly consumer: string;
  readonly message: EventMessage;
  /** Deliveries made before it was dead-lettered. */
  readonly attempts: number;
  /** Message of the last handler error (or why the broker dead-lettered it). */
  readonly error: string;
  /** ISO timestamps; absent when the broker dead-lettered it after a crash loop. */
  readonly firstFailedAt?: string;
  readonly lastFailedAt?: string;
}

/** Admin view of dead letters, offered by both bus implementations. */
export interface DeadLetters {
  /** Dead letters of a consumer, oldest first, without removing them. */
  listDeadLetters(consumer: string, limit?: number): Promise<DeadLetter[]>;
  /** Moves dead letters (all, or the one with this event id) back to the consumer's queue. */
  redrive(consumer: string, eventId?: string): Promise<number>;
}
