import type { Channel, ConfirmChannel } from 'amqplib';
import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';

export interface OpenChannelOptions {
  readonly name: string;
  readonly confirm: boolean;
  /** Runs on every (re)created channel: declarations, listeners, consumers. */
  readonly setup: (channel: ConfirmChannel) => Promise<void>;
  readonly timeoutMs: number;
  readonly onError: (error: unknown) => void;
}

/**
 * A channel that amqp-connection-manager recreates after every reconnect. Resolves once the
 * first setup succeeded; rejects with the setup's error (e.g. a queue declared before with
 * other arguments) instead of waiting for a channel that will never come.
 */
export async function openChannel(manager: AmqpConnectionManager, options: OpenChannelOptions): Promise<ChannelWrapper> {
  // Settled by the first setup; later setups (after reconnects) report through onError.
  let succeed: () => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  const firstSetup = new Promise<void>((resolve, reject) => {
    succeed = resolve;
    fail = reject;
  });
  firstSetup.catch(() => undefined);
  const wrapper = manager.createChannel({
    name: options.name,
    confirm: options.confirm,
    setup: async (channel: Channel) => {
      // amqplib throws an unhandled 'error' event when the broker closes a channel.
      channel.on('error', options.onError);
      try {
        await options.setup(channel as ConfirmChannel);
        succeed();
      } catch (error) {
        fail(error);
        throw error;
      }
    },
  });
  wrapper.on('error', options.onError);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Channel ${options.name}: not ready after ${options.timeoutMs} ms`)), options.timeoutMs);
  });
  try {
    await Promise.race([firstSetup, timeout]);
    return wrapper;
  } catch (error) {
    await wrapper.close().catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Acks or nacks on the channel that delivered the message. Never on a later channel: delivery
 * tags restart per channel, so an old tag would settle another message or close the channel.
 * A closed channel throws here; the broker then redelivers, which is what we want.
 */
export function trySettle(action: () => void): boolean {
  try {
    action();
    return true;
  } catch {
    return false;
  }
}
