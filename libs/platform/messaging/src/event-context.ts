import { BaseRpcContext } from '@nestjs/microservices';
import type { Sql } from '@darkroom/database';
import type { EventStore } from '@darkroom/event-store';
import type { EventMessage } from './message-bus';

/**
 * What an `@OnEvent` handler gets with `@Ctx()`: the consumer's transaction (the inbox
 * row is already in it) and an event store bound to it. Everything written through `tx` or
 * `store` commits together, and only then is the message acked.
 */
export class EventContext extends BaseRpcContext<[EventMessage, number]> {
  /** Set by the error-capturing interceptor: the handler's own error, before Nest's filters. */
  handlerError?: unknown;

  constructor(
    readonly consumer: string,
    readonly message: EventMessage,
    /** 1 on first delivery, incremented by every retry. */
    readonly attempt: number,
    readonly tx: Sql,
    readonly store: EventStore,
  ) {
    super([message, attempt]);
  }
}
