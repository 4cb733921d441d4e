import { connect, type Channel, type ChannelModel } from 'amqplib';

/** Broker used by integration tests; `TEST_AMQP_URL` points elsewhere if needed. */
export const rabbitMqTestUrl = (): string => process.env['TEST_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

/**
 * A plain amqplib connection for looking at the broker from outside the code under test:
 * binding a spy queue, reading a queue's depth, deleting what a test declared.
 */
export interface RabbitMqProbe {
  readonly connection: ChannelModel;
  /** Runs `work` on a fresh channel, closed afterwards (a failed call only kills that channel). */
  withChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T>;
  /** Messages ready in a queue. */
  depth(queue: string): Promise<number>;
  close(): Promise<void>;
}

export async function openRabbitMqProbe(url = rabbitMqTestUrl()): Promise<RabbitMqProbe> {
  const connection = await connect(url);
  connection.on('error', () => undefined);
  const withChannel = async <T>(work: (channel: Channel) => Promise<T>): Promise<T> => {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    try {
      return await work(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  };
  return {
    connection,
    withChannel,
    depth: (queue) => withChannel(async (channel) => (await channel.checkQueue(queue)).messageCount),
    close: () => connection.close().catch(() => undefined),
  };
}
