import type { Channel, Options } from 'amqplib';
import type { ResolvedConsumerSpec } from './consumer-defaults';

/** Exchanges every publisher and consumer declares (idempotently, with identical arguments). */
export interface ExchangeTopology {
  /** Durable topic exchange events are published to. */
  readonly exchange: string;
  /** Its alternate exchange (fanout) and the bounded queue behind it. */
  readonly unrouted: string;
  readonly unroutedMaxLength: number;
}

/** Queues of one consumer: `<prefix>.<name>`, `.retry` and `.dlq`. */
export interface ConsumerQueues {
  readonly main: string;
  readonly retry: string;
  readonly dlq: string;
}

export function exchangeTopology(exchange: string, unroutedMaxLength: number): ExchangeTopology {
  return { exchange, unrouted: `${exchange}.unrouted`, unroutedMaxLength };
}

export function consumerQueues(queuePrefix: string, consumer: string): ConsumerQueues {
  const main = `${queuePrefix}.${consumer}`;
  return { main, retry: `${main}.retry`, dlq: `${main}.dlq` };
}

/** Only what these calls need of an amqplib channel. */
type Declaring = Pick<Channel, 'assertExchange' | 'assertQueue' | 'bindQueue'>;

export async function declareExchanges(channel: Declaring, topology: ExchangeTopology): Promise<void> {
  await channel.assertExchange(topology.unrouted, 'fanout', { durable: true });
  await channel.assertQueue(topology.unrouted, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-max-length': topology.unroutedMaxLength,
      'x-overflow': 'drop-head',
    },
  });
  await channel.bindQueue(topology.unrouted, topology.unrouted, '');
  await channel.assertExchange(topology.exchange, 'topic', { durable: true, alternateExchange: topology.unrouted });
}

/**
 * Quorum queues; dead-lettering goes through the default exchange straight to the named
 * queue, "at-least-once" so the broker does not drop a message it moves between queues.
 */
const quorum = (deadLetterTo?: string): Options.AssertQueue => ({
  durable: true,
  arguments: {
    'x-queue-type': 'quorum',
    ...(deadLetterTo
      ? {
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': deadLetterTo,
          'x-dead-letter-strategy': 'at-least-once',
          'x-overflow': 'reject-publish',
        }
      : {}),
  },
});

/**
 * Times the broker may hand a message back (its consumer's connection dropped, or its process
 * died) before it dead-letters it. Connections drop in outages and rolls, with a prefetch of
 * messages each time, so this is generous; what it catches is a message whose handler crashes
 * its process every time (RabbitMQ 4 chose 20 as its own default).
 */
export const BROKER_REDELIVERY_LIMIT = 20;

/**
 * The main queue dead-letters to the DLQ when the broker's delivery limit is hit (a message
 * whose handler crashes the process or never settles): `x-delivery-limit` is
 * `BROKER_REDELIVERY_LIMIT`, apart from `maxAttempts`, which counts handler failures (each
 * retry is a fresh copy, so those never reach the broker's limit). The retry queue
 * holds failed messages for their per-message expiration, then dead-letters them back to
 * the main queue. Expiry happens at the queue head only, so a short delay can wait behind
 * a longer one. Queue arguments cannot change once declared: a new maxAttempts needs the
 * queue deleted (or a policy); the broker refuses the declaration otherwise.
 */
export async function declareConsumerQueues(
  channel: Declaring,
  topology: ExchangeTopology,
  queues: ConsumerQueues,
  spec: ResolvedConsumerSpec,
): Promise<void> {
  await declareExchanges(channel, topology);
  await channel.assertQueue(queues.dlq, quorum());
  const main = quorum(queues.dlq);
  await channel.assertQueue(queues.main, {
    ...main,
    arguments: { ...main.arguments, 'x-delivery-limit': BROKER_REDELIVERY_LIMIT },
  });
  await channel.assertQueue(queues.retry, quorum(queues.main));
  for (const binding of spec.bindings) await channel.bindQueue(queues.main, topology.exchange, binding);
}
