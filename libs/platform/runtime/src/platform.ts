import type { TypeormSql } from '@darkroom/database';
import type { CommitSignal, EventStore } from '@darkroom/event-store';
import type { DeadLetters, MessageBus } from '@darkroom/messaging';
import type { ObjectStorage } from '@darkroom/object-storage';
import type { Clock } from '@darkroom/kernel';

/** Everything a service touches outside its own code, built once per process. */
export interface Platform {
  readonly sql: TypeormSql;
  readonly store: EventStore;
  /** Both buses (in-process and RabbitMQ) also keep and re-drive dead letters. */
  readonly bus: MessageBus & DeadLetters;
  readonly objects: ObjectStorage;
  /** False when no service of this process touches the bucket: it is neither created nor checked. */
  readonly usesBucket?: boolean;
  readonly clock: Clock;
  /** How often log tailers (relay, projections) poll when idle. */
  readonly pollIntervalMs: number;
  /** Wakes the log's readers and the work-table claimers on commit; their polls stay as the safety net. */
  readonly commits: CommitSignal;
  close(): Promise<void>;
}
