import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { connect, type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type Message, type Options } from 'amqplib';
import { AmqpConnectionManagerClass, type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import { systemClock, type Clock } from '@darkroom/kernel';
import { resolveConsumerSpec } from './consumer-defaults';
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
import { PublishFailed, type PublishFailureReason } from './publish-failed';
import { openChannel } from './rabbitmq-channel';
import { RabbitMqConsumer } from './rabbitmq-consumer';
import { copyOptions, decodeMessage, encodeMessage, Header, toDeadLetter } from './rabbitmq-codec';
import { consumerQueues, declareExchanges, exchangeTopology, type ExchangeTopology } from './rabbitmq-topology';

export interface RabbitMqBusOptions {
  /** amqp://user:pass@host:5672/vhost */
  readonly url: string;
  /** Topic exchange events are published to (default `darkroom.events`). */
  readonly exchange?: string;
  /** Consumer queues are `<queuePrefix>.<consumer>` (default `darkroom`). */
  readonly queuePrefix?: string;
  /** Messages kept in `<exchange>.unrouted` before the oldest are dropped (default 100,000). */
  readonly unroutedMaxLength?: number;
  /** A publish without a broker confirm by then fails with `PublishFailed('timeout')` (default 30 s). */
  readonly publishTimeoutMs?: number;
  /** Time allowed to connect and declare the topology (default 30 s). */
  readonly connectTimeoutMs?: number;
  readonly heartbeatSeconds?: number;
  /** Stamps dead letters' failure times (default the system clock). */
  readonly clock?: Clock;
}

/**
 * The message bus on RabbitMQ (DESIGN §3). Publishes are persistent, mandatory and
 * confirmed; an unroutable or nacked message rejects `publish()`. Each consumer gets a
 * quorum queue with a delivery limit, a TTL retry queue and a dead-letter queue.
 * Connections and channels are re-established by amqp-connection-manager.
 */
export class RabbitMqBus implements MessageBus, DeadLetters {
  private readonly logger = new Logger(RabbitMqBus.name);
  private readonly topology: ExchangeTopology;
  private readonly queuePrefix: string;
  private readonly publishTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly manager: AmqpConnectionManager;
  /** Publish ids the broker returned; the confirm that follows a return fails its publish. */
  private readonly returned = new Set<string>();
  private readonly subscriptions = new Set<RabbitMqConsumer>();
  /** Fail the publishes in flight when the connection drops (see `send`). */
  private readonly inFlight = new Set<(error: Error) => void>();
  private readonly consumers = new Set<string>();
  private readonly url: string;
  private readonly clock: Clock;
  private publisher?: Promise<ChannelWrapper>;
  /** No new subscriptions; `closed`: no publishing either. */
  private closing = false;
  private closed = false;

  constructor(options: RabbitMqBusOptions) {
    this.url = options.url;
    this.clock = options.clock ?? systemClock;
    const exchange = options.exchange ?? 'darkroom.events';
    this.topology = exchangeTopology(exchange, options.unroutedMaxLength ?? 100_000);
    this.queuePrefix = options.queuePrefix ?? 'darkroom';
    this.publishTimeoutMs = options.publishTimeoutMs ?? 30_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
    this.manager = new AmqpConnectionManagerClass([options.url], {
      heartbeatIntervalInSeconds: options.heartbeatSeconds ?? 5,
      reconnectTimeInSeconds: 1,
    });
    this.manager.on('disconnect', ({ err }) => {
      this.logger.warn(`disconnected from RabbitMQ: ${err?.message}`);
      for (const abandon of this.inFlight) abandon(new Error(`connection closed: ${err?.message}`));
    });
    this.manager.on('connectFailed', ({ err }) => this.logger.warn(`cannot connect to RabbitMQ: ${err?.message}`));
  }

  /** Connects and declares the exchanges; `publish` and `subscribe` call it themselves. */
  async connect(): Promise<void> {
    await this.publisherChannel();
  }

  async publish(messages: readonly EventMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const results = await Promise.allSettled(
      messages.map((message) => {
        const { content, options } = encodeMessage(message);
        return this.send(this.topology.exchange, message.routingKey, content, options, message.eventId);
      }),
    );
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    if (failures.length === 0) return;
    const typed = failures.find((failure): failure is PublishFailed => failure instanceof PublishFailed);
    const failed = messages.filter((_, index) => results[index].status === 'rejected').map((m) => m.eventId);
    throw new PublishFailed(typed?.reason ?? 'closed', failed, { cause: typed ?? failures[0] });
  }

  async subscribe(spec: ConsumerSpec, handler: (delivery: Delivery) => Promise<void>): Promise<Subscription> {
    const resolved = resolveConsumerSpec(spec);
    if (this.closing) throw new Error('RabbitMqBus is closed');
    await this.connect();
    const consumer: RabbitMqConsumer = new RabbitMqConsumer(
      {
        manager: this.manager,
        topology: this.topology,
        queues: consumerQueues(this.queuePrefix, resolved.name),
        spec: resolved,
        handler,
        sendCopy: (queue, delivered, headers, expirationMs) => this.sendCopy(queue, delivered, headers, expirationMs),
        timeoutMs: this.connectTimeoutMs,
        logger: this.logger,
        clock: this.clock,
      },
      () => this.subscriptions.delete(consumer),
    );
    this.consumers.add(resolved.name);
    await consumer.start();
    this.subscriptions.add(consumer);
    return consumer;
  }

  /** Graceful: stops consuming, lets handlers in flight finish and settle, then disconnects. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    // Publishing stays open meanwhile: a handler failing now still parks its message for retry.
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    this.closed = true;
    await this.manager.close();
  }

  /**
   * Drops the connection at once, like a crashed process: handlers still running cannot
   * ack any more, so the broker redelivers their messages to the next consumer.
   */
  async abort(): Promise<void> {
    this.closing = true;
    this.closed = true;
    await this.manager.close();
  }

  /**
   * Whether the connection is up now. A bus nothing has used yet starts connecting here, so
   * a process whose first publish is still to come reports the broker it will use.
   */
  isConnected(): boolean {
    if (!this.closing && !this.manager.isConnected()) this.connect().catch(() => undefined);
    return this.manager.isConnected();
  }

  /** Message counts of the queues of every consumer subscribed through this bus (`checkQueue`). */
  async queueDepths(): Promise<QueueDepth[]> {
    const depths: QueueDepth[] = [];
    for (const consumer of this.consumers) {
      const queues = consumerQueues(this.queuePrefix, consumer);
      const count = (queue: string) => this.withChannel(async (channel) => (await channel.checkQueue(queue)).messageCount);
      const [ready, retrying, deadLettered] = await Promise.all([count(queues.main), count(queues.retry), count(queues.dlq)]);
      depths.push({ consumer, ready, retrying, deadLettered });
    }
    return depths;
  }

  async listDeadLetters(consumer: string, limit = 100): Promise<DeadLetter[]> {
    const { dlq } = consumerQueues(this.queuePrefix, consumer);
    // Messages taken with basic.get stay unacked; closing the channel puts them all back.
    return this.withChannel(async (channel) => {
      const letters: DeadLetter[] = [];
      while (letters.length < limit) {
        const delivered = await channel.get(dlq, { noAck: false });
        if (!delivered) break;
        try {
          letters.push(toDeadLetter(consumer, delivered));
        } catch {
          this.logger.warn(`${dlq}: skipping undecodable message ${delivered.properties.messageId}`);
        }
      }
      return letters;
    });
  }

  async redrive(consumer: string, eventId?: string): Promise<number> {
    const { main, dlq } = consumerQueues(this.queuePrefix, consumer);
    return this.withChannel(async (channel) => {
      let moved = 0;
      for (;;) {
        const delivered = await channel.get(dlq, { noAck: false });
        if (!delivered) return moved;
        let id: string;
        try {
          id = decodeMessage(delivered).eventId;
        } catch {
          continue;
        }
        if (eventId !== undefined && id !== eventId) continue;
        await this.sendCopy(main, delivered, {}, undefined, true);
        channel.ack(delivered);
        moved++;
      }
    });
  }

  /** Deletes the exchanges and every queue this bus declared (tests, teardown of a sandbox). */
  async deleteTopology(): Promise<void> {
    const queues = [...this.consumers].flatMap((name) => Object.values(consumerQueues(this.queuePrefix, name)));
    for (const queue of [...queues, this.topology.unrouted]) {
      await this.withChannel((channel) => channel.deleteQueue(queue)).catch(() => undefined);
    }
    for (const exchange of [this.topology.exchange, this.topology.unrouted]) {
      await this.withChannel((channel) => channel.deleteExchange(exchange)).catch(() => undefined);
    }
  }

  private publisherChannel(): Promise<ChannelWrapper> {
    if (this.closed) return Promise.reject(new Error('RabbitMqBus is closed'));
    this.publisher ??= this.openPublisher().catch((error: unknown) => {
      this.publisher = undefined;
      throw error;
    });
    return this.publisher;
  }

  private async openPublisher(): Promise<ChannelWrapper> {
    await this.manager.connect({ timeout: this.connectTimeoutMs });
    return openChannel(this.manager, {
      name: 'publisher',
      confirm: true,
      timeoutMs: this.connectTimeoutMs,
      onError: (error) => this.logger.error(`publisher channel: ${String(error)}`),
      setup: async (channel: ConfirmChannel) => {
        channel.on('return', (returned: ConsumeMessage) => {
          const publishId = (returned.properties.headers as Record<string, unknown> | undefined)?.[Header.publishId];
          if (typeof publishId === 'string') this.returned.add(publishId);
        });
        await declareExchanges(channel, this.topology);
      },
    });
  }

  /** Publishes with confirm and return tracking; amqplib emits a return before its confirm. */
  private async send(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish,
    eventId = 'unknown',
  ): Promise<void> {
    const publisher = await this.publisherChannel();
    const publishId = randomUUID();
    // amqp-connection-manager can lose track of a message written while the connection
    // closes (it then only times out): a dropped connection fails the publish at once,
    // and the caller publishes again. The copy it may still send later is a duplicate.
    let abandon: (error: Error) => void = () => undefined;
    const dropped = new Promise<never>((_, reject) => (abandon = reject));
    this.inFlight.add(abandon);
    try {
      await Promise.race([
        publisher.publish(exchange, routingKey, content, {
          ...options,
          headers: { ...options.headers, [Header.publishId]: publishId },
          persistent: true,
          mandatory: true,
          timeout: this.publishTimeoutMs,
        }),
        dropped,
      ]);
    } catch (error) {
      this.returned.delete(publishId);
      throw new PublishFailed(failureReason(error), [eventId], { cause: error });
    } finally {
      this.inFlight.delete(abandon);
    }
    if (this.returned.delete(publishId)) throw new PublishFailed('unroutable', [eventId]);
  }

  private sendCopy(
    queue: string,
    delivered: Message,
    headers: Record<string, unknown>,
    expirationMs?: number,
    fresh = false,
  ): Promise<void> {
    const options = copyOptions(delivered, headers, fresh);
    if (expirationMs !== undefined) options.expiration = String(Math.max(0, Math.round(expirationMs)));
    return this.send('', queue, delivered.content, options, delivered.properties.messageId);
  }

  private async withChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T> {
    if (this.closed) {
      // Admin calls still work on a closed (or aborted) bus, on a connection of their own.
      const connection = await connect(this.url);
      connection.on('error', () => undefined);
      try {
        return await this.onChannel(connection, work);
      } finally {
        await connection.close().catch(() => undefined);
      }
    }
    await this.connect();
    const connection = this.manager.connection;
    if (!connection) throw new Error('RabbitMqBus: not connected');
    return this.onChannel(connection, work);
  }

  private async onChannel<T>(connection: ChannelModel, work: (channel: Channel) => Promise<T>): Promise<T> {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined); // the failing call rejects; nothing else to report
    try {
      return await work(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }
}

function failureReason(error: unknown): PublishFailureReason {
  const message = error instanceof Error ? error.message : String(error);
  if (message === 'timeout') return 'timeout';
  if (/closed/i.test(message)) return 'closed';
  return 'nacked';
}
