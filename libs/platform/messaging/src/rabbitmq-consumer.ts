import type { Logger } from '@nestjs/common';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { Clock } from '@darkroom/kernel';
import { retryDelayMs, type ResolvedConsumerSpec } from './consumer-defaults';
import { DependencyOutage } from './dependency-outage';
import type { Delivery, EventMessage, Subscription } from './message-bus';
import { openChannel, trySettle } from './rabbitmq-channel';
import { attemptOf, decodeMessage, firstFailedAtOf, Header } from './rabbitmq-codec';
import { declareConsumerQueues, type ConsumerQueues, type ExchangeTopology } from './rabbitmq-topology';

export interface RabbitMqConsumerOptions {
  readonly manager: AmqpConnectionManager;
  readonly topology: ExchangeTopology;
  readonly queues: ConsumerQueues;
  readonly spec: ResolvedConsumerSpec;
  readonly handler: (delivery: Delivery) => Promise<void>;
  /** Publishes a copy of a delivered message to a queue; resolves on the broker's confirm. */
  readonly sendCopy: (
    queue: string,
    delivered: ConsumeMessage,
    headers: Record<string, unknown>,
    expirationMs?: number,
  ) => Promise<void>;
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Stamps the failure times a retried or dead-lettered copy carries. */
  readonly clock: Clock;
}

const MAX_ERROR_LENGTH = 2_000;

const describe = (error: unknown): string =>
  (error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(error)) ?? 'unknown error';

/**
 * One consumer on its own channel: manual acks after the handler resolved, bounded
 * prefetch, failed messages parked in the retry queue (or the DLQ on the last attempt)
 * before the original is acked, so a handler error never leaves a message unacked.
 */
export class RabbitMqConsumer implements Subscription {
  private wrapper?: ChannelWrapper;
  private channel?: Channel;
  private consumerTag?: string;
  private readonly inFlight = new Set<Promise<void>>();
  private closing?: Promise<void>;

  constructor(
    private readonly options: RabbitMqConsumerOptions,
    private readonly onClosed: () => void,
  ) {}

  async start(): Promise<void> {
    const { manager, queues, timeoutMs, logger } = this.options;
    this.wrapper = await openChannel(manager, {
      name: queues.main,
      confirm: false,
      timeoutMs,
      onError: (error) => logger.error(`consumer ${queues.main}: ${describe(error)}`),
      setup: (channel) => this.setup(channel),
    });
  }

  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async setup(channel: Channel): Promise<void> {
    const { topology, queues, spec } = this.options;
    await declareConsumerQueues(channel, topology, queues, spec);
    if (this.closing) return;
    await channel.prefetch(spec.prefetch);
    const { consumerTag } = await channel.consume(queues.main, (delivered) => this.onMessage(channel, delivered), {
      noAck: false,
    });
    this.channel = channel;
    this.consumerTag = consumerTag;
  }

  private async shutdown(): Promise<void> {
    const { channel, consumerTag } = this;
    if (channel && consumerTag) await channel.cancel(consumerTag).catch(() => undefined);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.wrapper?.close().catch(() => undefined);
    this.onClosed();
  }

  private onMessage(channel: Channel, delivered: ConsumeMessage | null): void {
    if (!delivered) {
      this.options.logger.warn(`consumer ${this.options.queues.main} was canceled by the broker`);
      return;
    }
    const run = this.process(channel, delivered).finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  private async process(channel: Channel, delivered: ConsumeMessage): Promise<void> {
    let message: EventMessage;
    try {
      message = decodeMessage(delivered);
    } catch (error) {
      this.options.logger.error(`${this.options.queues.main}: undecodable message ${delivered.properties.messageId}: ${describe(error)}`);
      trySettle(() => channel.nack(delivered, false, false)); // the queue's DLX moves it to the DLQ
      return;
    }
    const attempt = attemptOf(delivered);
    try {
      await this.options.handler({ message, attempt });
    } catch (error) {
      await this.failed(channel, delivered, message, attempt, error);
      return;
    }
    trySettle(() => channel.ack(delivered));
  }

  private async failed(
    channel: Channel,
    delivered: ConsumeMessage,
    message: EventMessage,
    attempt: number,
    error: unknown,
  ): Promise<void> {
    const { spec, queues, logger, sendCopy } = this.options;
    const now = this.options.clock.now().toISOString();
    const reason = describe(error).slice(0, MAX_ERROR_LENGTH);
    const context = `${spec.name} ${message.type} ${message.eventId} (correlation ${message.metadata?.correlationId})`;
    const failure = {
      [Header.firstFailedAt]: firstFailedAtOf(delivered) ?? now,
      [Header.lastFailedAt]: now,
      [Header.error]: reason,
      [Header.consumer]: spec.name,
    };
    const delay = retryDelayMs(spec.retryDelaysMs, attempt);
    try {
      if (error instanceof DependencyOutage) {
        // The database is out, not the message at fault: retried for as long as the outage
        // lasts, without spending an attempt (else an outage dead-letters healthy messages).
        await sendCopy(queues.retry, delivered, { ...failure, [Header.attempt]: attempt }, delay);
        logger.warn(`${context}: database unreachable, retrying in ${delay} ms (attempt ${attempt} not spent): ${reason}`);
      } else if (attempt >= spec.maxAttempts) {
        await sendCopy(queues.dlq, delivered, { ...failure, [Header.attempt]: attempt });
        logger.error(`${context}: dead-lettered after ${attempt} attempts: ${reason}`);
      } else {
        await sendCopy(queues.retry, delivered, { ...failure, [Header.attempt]: attempt + 1 }, delay);
        logger.warn(`${context}: attempt ${attempt} failed, retrying in ${delay} ms: ${reason}`);
      }
    } catch (parkError) {
      // The copy is not safe: hand the original back after a pause. The queue's delivery
      // limit still bounds how often this can happen before the broker dead-letters it.
      logger.error(`${context}: could not park failed message (${describe(parkError)}); requeueing`);
      await new Promise((resolve) => setTimeout(resolve, delay));
      trySettle(() => channel.nack(delivered, false, true));
      return;
    }
    trySettle(() => channel.ack(delivered));
  }
}
