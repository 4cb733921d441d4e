import { Logger } from '@nestjs/common';
import { resolveConsumerSpec, retryDelayMs, type ResolvedConsumerSpec } from './consumer-defaults';
import type {
  ConsumerSpec,
  DeadLetter,
  DeadLetters,
  Delivery,
  EventMessage,
  MessageBus,
  QueueDepth,
  Subscription,
} from './message-bus';
import { topicMatches } from './topic-pattern';
import type { LogPosition } from '@darkroom/contracts';
import { systemClock, type Clock } from '@darkroom/kernel';

export interface InProcessBusOptions {
  /** Multiplies every retry delay; tests use a small factor (or 0) to retry at once. Default 1. */
  readonly delayScale?: number;
  /** Stamps dead letters' failure times (default the system clock). */
  readonly clock?: Clock;
}

/** One published message and how many of the queues it went to have not settled it yet. */
interface Settlement {
  readonly position: LogPosition;
  unsettled: number;
}

interface Pending {
  readonly message: EventMessage;
  readonly attempt: number;
  readonly firstFailedAt?: string;
  /** Absent for re-driven dead letters, which were settled once already. */
  readonly settlement?: Settlement;
}

type Handler = (delivery: Delivery) => Promise<void>;

/** One consumer's queue: survives its subscription, like a durable queue. */
class ConsumerQueue {
  readonly ready: Pending[] = [];
  readonly deadLetters: DeadLetter[] = [];
  readonly inFlight = new Set<Promise<void>>();
  readonly timers = new Set<NodeJS.Timeout>();
  handler?: Handler;

  constructor(public spec: ResolvedConsumerSpec) {}
}

/**
 * The message bus of the embedded single-process mode, with the broker's semantics in
 * memory: topic bindings, one FIFO queue per consumer, at-least-once delivery with at most
 * `prefetch` handlers running per consumer, delayed retries and a dead-letter list.
 * Messages bound to no consumer are dropped (RabbitMQ keeps them in the unrouted queue).
 * Nothing survives the process, so the bus reports `settledThrough()`: the relay checkpoints
 * only what every consumer has finished with and, after a crash, publishes the rest again
 * (the consumers' inbox drops what they had already handled).
 */
export class InProcessBus implements MessageBus, DeadLetters {
  private readonly logger = new Logger(InProcessBus.name);
  private readonly queues = new Map<string, ConsumerQueue>();
  private readonly delayScale: number;
  private readonly clock: Clock;
  /** Published messages in publish order, until every earlier one is settled too. */
  private readonly settlements: Settlement[] = [];
  private settled?: LogPosition;
  private closed = false;

  constructor(options: InProcessBusOptions = {}) {
    this.delayScale = options.delayScale ?? 1;
    this.clock = options.clock ?? systemClock;
  }

  async publish(messages: readonly EventMessage[]): Promise<void> {
    if (this.closed) throw new Error('InProcessBus is closed');
    for (const message of messages) {
      const bound = [...this.queues.values()].filter((queue) =>
        queue.spec.bindings.some((binding) => topicMatches(binding, message.routingKey)),
      );
      const settlement: Settlement = {
        position: { transactionId: message.transactionId, globalPosition: message.globalPosition },
        unsettled: bound.length,
      };
      this.settlements.push(settlement);
      for (const queue of bound) {
        // A copy per queue, as the broker would hand out: handlers cannot see each other's mutations.
        queue.ready.push({ message: JSON.parse(JSON.stringify(message)) as EventMessage, attempt: 1, settlement });
        this.schedulePump(queue);
      }
    }
    this.advanceSettled();
  }

  settledThrough(): LogPosition | undefined {
    return this.settled;
  }

  async subscribe(spec: ConsumerSpec, handler: Handler): Promise<Subscription> {
    if (this.closed) throw new Error('InProcessBus is closed');
    const resolved = resolveConsumerSpec(spec);
    let queue = this.queues.get(resolved.name);
    if (queue?.handler) throw new Error(`Consumer "${resolved.name}" already has a subscriber`);
    if (queue) queue.spec = resolved;
    else this.queues.set(resolved.name, (queue = new ConsumerQueue(resolved)));
    queue.handler = handler;
    this.schedulePump(queue);

    const subscribed = queue;
    return {
      close: async () => {
        if (subscribed.handler === handler) subscribed.handler = undefined;
        await this.drain(subscribed);
      },
    };
  }

  /** Stops every delivery, waits for the handlers in flight and forgets pending retries. */
  async close(): Promise<void> {
    this.closed = true;
    for (const queue of this.queues.values()) {
      queue.handler = undefined;
      for (const timer of queue.timers) clearTimeout(timer);
      queue.timers.clear();
    }
    await Promise.all([...this.queues.values()].map((queue) => this.drain(queue)));
  }

  async queueDepths(): Promise<QueueDepth[]> {
    return [...this.queues.entries()].map(([consumer, queue]) => ({
      consumer,
      ready: queue.ready.length,
      retrying: queue.timers.size,
      deadLettered: queue.deadLetters.length,
    }));
  }

  async listDeadLetters(consumer: string, limit = 100): Promise<DeadLetter[]> {
    return (this.queues.get(consumer)?.deadLetters ?? []).slice(0, limit);
  }

  async redrive(consumer: string, eventId?: string): Promise<number> {
    const queue = this.queues.get(consumer);
    if (!queue) return 0;
    const moved = queue.deadLetters.filter((letter) => eventId === undefined || letter.message.eventId === eventId);
    for (const letter of moved) {
      queue.deadLetters.splice(queue.deadLetters.indexOf(letter), 1);
      queue.ready.push({ message: letter.message, attempt: 1 });
    }
    this.schedulePump(queue);
    return moved.length;
  }

  private async drain(queue: ConsumerQueue): Promise<void> {
    while (queue.inFlight.size > 0) await Promise.allSettled([...queue.inFlight]);
  }

  private schedulePump(queue: ConsumerQueue): void {
    // Deliver from a fresh task: publish() never runs handlers inside the caller's stack.
    setImmediate(() => this.pump(queue));
  }

  private pump(queue: ConsumerQueue): void {
    while (queue.handler && queue.inFlight.size < queue.spec.prefetch && queue.ready.length > 0) {
      const pending = queue.ready.shift()!;
      const run = this.deliver(queue, queue.handler, pending).finally(() => {
        queue.inFlight.delete(run);
        this.pump(queue);
      });
      queue.inFlight.add(run);
    }
  }

  private async deliver(queue: ConsumerQueue, handler: Handler, pending: Pending): Promise<void> {
    try {
      await handler({ message: pending.message, attempt: pending.attempt });
    } catch (error) {
      this.failed(queue, pending, error);
      return;
    }
    this.settle(pending);
  }

  private settle(pending: Pending): void {
    if (!pending.settlement) return;
    pending.settlement.unsettled--;
    this.advanceSettled();
  }

  private advanceSettled(): void {
    while (this.settlements.length > 0 && this.settlements[0].unsettled <= 0) {
      this.settled = this.settlements.shift()!.position;
    }
  }

  private failed(queue: ConsumerQueue, pending: Pending, error: unknown): void {
    const { message, attempt } = pending;
    const now = this.clock.now().toISOString();
    const firstFailedAt = pending.firstFailedAt ?? now;
    const reason = error instanceof Error ? error.message : String(error);
    const context = `${queue.spec.name} ${message.type} ${message.eventId} (correlation ${message.metadata.correlationId})`;
    if (attempt >= queue.spec.maxAttempts) {
      this.logger.error(`${context}: dead-lettered after ${attempt} attempts: ${reason}`);
      queue.deadLetters.push({
        consumer: queue.spec.name,
        message,
        attempts: attempt,
        error: reason,
        firstFailedAt,
        lastFailedAt: now,
      });
      this.settle(pending);
      return;
    }
    const delay = retryDelayMs(queue.spec.retryDelaysMs, attempt) * this.delayScale;
    this.logger.warn(`${context}: attempt ${attempt} failed, retrying in ${delay} ms: ${reason}`);
    const timer = setTimeout(() => {
      queue.timers.delete(timer);
      queue.ready.push({ message, attempt: attempt + 1, firstFailedAt, settlement: pending.settlement });
      this.pump(queue);
    }, delay);
    queue.timers.add(timer);
  }
}
