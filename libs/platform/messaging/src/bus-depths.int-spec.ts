import { Logger } from '@nestjs/common';
import { rabbitMqTestUrl, uniqueName } from '@darkroom/testing';
import { InProcessBus } from './in-process-bus';
import type { Delivery } from './message-bus';
import { eventMessage, waitFor } from './messaging.fixtures';
import { RabbitMqBus } from './rabbitmq-bus';

jest.setTimeout(60_000);
Logger.overrideLogger(false);

/** Queue depths and connection state, as `/metrics` and `/health/ready` read them. */
describe('RabbitMqBus health and queue depths', () => {
  const bus = new RabbitMqBus({
    url: rabbitMqTestUrl(),
    exchange: uniqueName('darkroom_test_events'),
    queuePrefix: uniqueName('darkroom_test'),
    connectTimeoutMs: 15_000,
  });

  afterAll(async () => {
    await bus.deleteTopology().catch(() => undefined);
    await bus.close();
  });

  it('connects on the first health probe and reports itself connected', async () => {
    await waitFor(() => bus.isConnected(), 15_000, 'connection');
  });

  it('counts ready, retrying and dead-lettered messages per consumer', async () => {
    const depthOf = async (consumer: string) => (await bus.queueDepths()).find((depth) => depth.consumer === consumer);
    const refuse = async () => {
      throw new Error('refused');
    };
    // One failure parks the message in the retry queue for a minute; with one attempt it is dead-lettered.
    const retrying = await bus.subscribe(
      { name: 'retrying', bindings: ['generation.DepthRetry'], maxAttempts: 2, retryDelaysMs: [60_000] },
      refuse,
    );
    const dying = await bus.subscribe({ name: 'dying', bindings: ['generation.DepthDead'], maxAttempts: 1 }, refuse);
    await bus.publish([eventMessage({ type: 'DepthRetry' }), eventMessage({ type: 'DepthDead' })]);
    expect(await waitFor(async () => (await depthOf('retrying'))?.retrying === 1 && depthOf('retrying'))).toEqual({
      consumer: 'retrying',
      ready: 0,
      retrying: 1,
      deadLettered: 0,
    });
    expect(await waitFor(async () => (await depthOf('dying'))?.deadLettered === 1 && depthOf('dying'))).toEqual({
      consumer: 'dying',
      ready: 0,
      retrying: 0,
      deadLettered: 1,
    });
    // Nobody consuming: what is published waits, ready.
    await dying.close();
    await bus.publish([eventMessage({ type: 'DepthDead' }), eventMessage({ type: 'DepthDead' })]);
    expect(await waitFor(async () => (await depthOf('dying'))?.ready === 2)).toBe(true);
    await retrying.close();
  });
});

describe('InProcessBus queue depths', () => {
  it('reports ready, retrying and dead-lettered messages per consumer', async () => {
    const bus = new InProcessBus();
    let fail = true;
    const subscription = await bus.subscribe(
      { name: 'depths', bindings: ['generation.#'], maxAttempts: 2, retryDelaysMs: [60_000], prefetch: 1 },
      async ({ message }: Delivery) => {
        if (fail && message.type === 'Retried') throw new Error('later');
      },
    );
    await bus.publish([eventMessage({ type: 'Retried' })]);
    expect(await waitFor(async () => (await bus.queueDepths()).find((depth) => depth.retrying === 1))).toEqual({
      consumer: 'depths',
      ready: 0,
      retrying: 1,
      deadLettered: 0,
    });
    fail = false;
    await subscription.close();
    await bus.close();
  });
});
