import { connect } from 'amqplib';
import { consumerQueues, exchangeTopology } from '@darkroom/messaging';
import { rabbitMqTestUrl } from '@darkroom/testing';

/** Deletes what darkroom declared on the broker for one run: each consumer's queues and the exchange pair. */
export async function deleteRunTopology(
  exchange: string,
  prefix: string,
  consumers: readonly string[],
  url = rabbitMqTestUrl(),
): Promise<void> {
  const connection = await connect(url);
  try {
    const channel = await connection.createChannel();
    for (const consumer of consumers) {
      const { main, retry, dlq } = consumerQueues(prefix, consumer);
      for (const queue of [main, retry, dlq]) await channel.deleteQueue(queue);
    }
    const topology = exchangeTopology(exchange, 0);
    await channel.deleteQueue(topology.unrouted);
    await channel.deleteExchange(topology.exchange);
    await channel.deleteExchange(topology.unrouted);
    await channel.close();
  } finally {
    await connection.close();
  }
}
