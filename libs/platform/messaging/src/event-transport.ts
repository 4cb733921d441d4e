import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import { isDatabaseUnreachable, type Sql } from '@darkroom/database';
import { withLogContext, type LogContext } from '@darkroom/logging';
import { DependencyOutage } from './dependency-outage';
import { EventContext } from './event-context';
import { GroupCommit } from './group-commit';
import { handleOnce, type InboxWork } from './inbox-handler';
import type { ConsumerSpec, Delivery, EventMessage, MessageBus, Subscription } from './message-bus';
import type { EventRoute } from './on-event.decorator';
import { topicMatches } from './topic-pattern';

/** Delivery settings of one consumer; the bus's defaults apply where absent. */
export type ConsumerOptions = Pick<ConsumerSpec, 'prefetch' | 'maxAttempts' | 'retryDelaysMs'> & {
  /**
   * Messages of one key are committed together (`GroupCommit`): for a consumer whose handlers
   * serialise on the key's stream lock. Messages without a key run one by one.
   */
  readonly groupBy?: (message: EventMessage) => string | undefined;
};

export interface EventTransportOptions {
  readonly bus: MessageBus;
  /** Where the inbox and the handlers' transaction live. */
  readonly sql: Sql;
  /** By consumer name. */
  readonly consumerOptions?: Readonly<Record<string, ConsumerOptions>>;
  /** Applied to every consumer, over its own options. */
  readonly overrides?: ConsumerOptions;
}

type Routes = Map<string, Map<string, MessageHandler>>;

/**
 * Nest transport strategy over a `MessageBus`: every `@OnEvent(consumer, key)` handler of
 * the app is grouped by consumer, each consumer subscribes one queue bound to exactly its
 * keys, and each delivery runs its handler inside `handleOnce` (inbox + transaction), so
 * the message is acked only after the handler's writes committed. The bus is the caller's:
 * `close()` ends the subscriptions, not the bus.
 */
export class EventTransport extends Server implements CustomTransportStrategy {
  private subscriptions: Subscription[] = [];
  private readonly groups = new Map<string, GroupCommit>();

  constructor(private readonly options: EventTransportOptions) {
    super();
  }

  listen(callback: (...optionalParams: unknown[]) => unknown): void {
    this.start().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  async close(): Promise<void> {
    const subscriptions = this.subscriptions;
    this.subscriptions = [];
    await Promise.all(subscriptions.map((subscription) => subscription.close()));
  }

  on(): never {
    throw new Error('EventTransport emits no events');
  }

  unwrap<T>(): T {
    return this.options.bus as T;
  }

  /** Handlers by consumer and key; throws on anything the app must not boot with. */
  routes(): Routes {
    const routes: Routes = new Map();
    for (const [pattern, handler] of this.messageHandlers) {
      const route = parseRoute(pattern);
      if (!route) throw new Error(`Handler pattern ${pattern} is not { consumer, key }: declare it with @OnEvent(consumer, key)`);
      if (!handler.isEventHandler) throw new Error(`${pattern}: request/response handlers are not supported, use @OnEvent`);
      // Nest chains a second handler of the same pattern onto the first one's `next`.
      if (handler.next) throw new Error(`Two handlers for consumer "${route.consumer}" and key "${route.key}"`);
      const byKey = routes.get(route.consumer) ?? new Map<string, MessageHandler>();
      byKey.set(route.key, handler);
      routes.set(route.consumer, byKey);
    }
    return routes;
  }

  private async start(): Promise<void> {
    const routes = this.routes();
    try {
      for (const [consumer, handlers] of routes) {
        const { groupBy, ...delivery } = this.options.consumerOptions?.[consumer] ?? {};
        if (groupBy) this.groups.set(consumer, new GroupCommit(this.options.sql, consumer));
        const spec: ConsumerSpec = {
          ...delivery,
          ...this.options.overrides,
          name: consumer,
          bindings: [...handlers.keys()],
        };
        this.subscriptions.push(
          await this.options.bus.subscribe(spec, (delivery) =>
            withLogContext(logFieldsOf(consumer, delivery.message), () => this.dispatch(consumer, handlers, delivery)),
          ),
        );
        this.logger.log(`consumer ${consumer} bound to ${spec.bindings.join(', ')}`);
      }
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  private async dispatch(consumer: string, handlers: Map<string, MessageHandler>, delivery: Delivery): Promise<void> {
    const { message, attempt } = delivery;
    const handler = handlerFor(consumer, handlers, message.routingKey);
    const work: InboxWork = async (tx, store) => {
      const ctx = new EventContext(consumer, message, attempt, tx, store);
      try {
        const result: unknown = await handler(message, ctx);
        if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
      } catch (error) {
        throw ctx.handlerError ?? asError(error);
      }
    };
    const group = this.groups.get(consumer);
    const key = this.options.consumerOptions?.[consumer]?.groupBy?.(message);
    const started = performance.now();
    try {
      if (group && key !== undefined) await group.submit(key, message, work);
      else await handleOnce(this.options.sql, consumer, message, work);
    } catch (error) {
      throw isDatabaseUnreachable(error) && !(await this.databaseAnswers()) ? new DependencyOutage('database', { cause: error }) : error;
    }
    this.logger.debug?.(`${consumer} took ${message.type} ${message.eventId} (delivery ${attempt}) in ${Math.round(performance.now() - started)} ms`);
  }

  /** Whether the database answers a trivial query within 2 s: an error that looks like an outage is one only then. */
  private async databaseAnswers(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 2000)));
    try {
      return await Promise.race([this.options.sql.query('SELECT 1').then(() => true), timeout]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** What every log line written while this message is handled says about it. */
function logFieldsOf(consumer: string, message: EventMessage): LogContext {
  // Any event comes here: its data is probed for a task id, checked below, not trusted.
  // A credit account's events name the task as the reservation they move.
  const data = message.data as { taskId?: unknown; reservationId?: unknown } | null;
  const taskId = data?.taskId ?? data?.reservationId;
  return {
    consumer,
    eventType: message.type,
    eventId: message.eventId,
    correlationId: message.metadata.correlationId,
    accountId: message.metadata.accountId,
    requestId: message.metadata.requestId,
    taskId: typeof taskId === 'string' ? taskId : undefined,
  };
}

function parseRoute(pattern: string): EventRoute | undefined {
  try {
    const parsed: unknown = JSON.parse(pattern);
    if (typeof parsed !== 'object' || parsed === null || Object.keys(parsed).length !== 2) return undefined;
    const { consumer, key } = parsed as Record<string, unknown>;
    return typeof consumer === 'string' && consumer && typeof key === 'string' && key ? { consumer, key } : undefined;
  } catch {
    return undefined;
  }
}

function handlerFor(consumer: string, handlers: Map<string, MessageHandler>, routingKey: string): MessageHandler {
  const exact = handlers.get(routingKey);
  if (exact) return exact;
  const matching = [...handlers].filter(([key]) => topicMatches(key, routingKey));
  if (matching.length === 1) return matching[0][1];
  throw new Error(
    matching.length === 0
      ? `Consumer "${consumer}" has no handler for ${routingKey} (a binding left from an earlier version?)`
      : `Consumer "${consumer}" has several handlers for ${routingKey}: ${matching.map(([key]) => key).join(', ')}`,
  );
}

/** Nest's RPC filters turn a thrown error into `{ status, message }`. */
function asError(error: unknown): Error {
  if (error instanceof Error) return error;
  const message = (error as { message?: unknown } | undefined)?.message;
  return new Error(typeof message === 'string' ? message : JSON.stringify(error));
}
