import { Logger } from '@nestjs/common';
import type { ConsumeMessage } from 'amqplib';
import { LOG_START, generationStream, type NewEvent } from '@darkroom/contracts';
import { NO_STREAM, PgEventStore } from '@darkroom/event-store';
import { newId } from '@darkroom/kernel';
import {
  createTestDatabase,
  openRabbitMqProbe,
  rabbitMqTestUrl,
  uniqueName,
  type RabbitMqProbe,
  type TestDatabase,
} from '@darkroom/testing';
import type { EventMessage, MessageBus } from './message-bus';
import { sleep, waitFor } from './messaging.fixtures';
import { PublishFailed } from './publish-failed';
import { RabbitMqBus } from './rabbitmq-bus';
import { InProcessBus } from './in-process-bus';
import { Relay } from './relay';

jest.setTimeout(60_000);
Logger.overrideLogger(false);

let db: TestDatabase;
let store: PgEventStore;
let bus: RabbitMqBus;
let probe: RabbitMqProbe;
const exchange = uniqueName('darkroom_test_relay');
/** Everything the exchange carried, as a spy queue bound to '#' saw it. */
const published: ConsumeMessage[] = [];
const relays: Relay[] = [];

const newEvent = (type = 'GenerationQueued'): NewEvent => ({
  eventId: newId(),
  type,
  data: { at: Date.now() },
  metadata: { correlationId: newId(), schemaVersion: 1 },
});

async function append(count = 1): Promise<string[]> {
  const events = Array.from({ length: count }, () => newEvent());
  await store.append(generationStream(newId()), events, NO_STREAM);
  return events.map((event) => event.eventId);
}

const publishedIds = (): string[] => published.map((message) => message.properties.messageId as string);

/**
 * Runs rounds until these events are published. An event becomes safe to read only once
 * every older transaction of the whole PostgreSQL cluster has ended, and other test runs
 * share the cluster, so a test cannot expect the very next round to see it.
 */
async function publishAll(relay: Relay, ids: readonly string[]): Promise<void> {
  await waitFor(
    async () => {
      await relay.runOnce();
      return ids.every((id) => publishedIds().includes(id));
    },
    20_000,
    'the relay to publish',
  );
}

function newRelay(options: { name: string; bus?: MessageBus; batchSize?: number }): Relay {
  const relay = new Relay({ sql: db.sql, store, bus, pollIntervalMs: 20, onError: () => undefined, ...options });
  relays.push(relay);
  return relay;
}

async function checkpoint(name: string) {
  const { rows } = await db.sql.query<{ transaction_id: string; global_position: string }>(
    `SELECT transaction_id::text AS transaction_id, global_position::text AS global_position FROM checkpoints WHERE name = $1`,
    [`relay:${name}`],
  );
  return rows[0];
}

beforeAll(async () => {
  db = await createTestDatabase();
  store = new PgEventStore(db.sql);
  bus = new RabbitMqBus({ url: rabbitMqTestUrl(), exchange, queuePrefix: exchange });
  await bus.connect();
  probe = await openRabbitMqProbe();
  const channel = await probe.connection.createChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, exchange, '#');
  await channel.consume(queue, (message) => message && published.push(message), { noAck: true });
});

afterAll(async () => {
  await Promise.all(relays.map((relay) => relay.stop()));
  await bus?.deleteTopology();
  await bus?.close();
  await probe?.close();
  await db?.drop();
});

beforeEach(() => {
  published.length = 0;
});

it('publishes appended events in log order, persistent, with the event id as message id, then checkpoints', async () => {
  const name = uniqueName('order');
  const relay = newRelay({ name });
  const ids = [...(await append(3)), ...(await append(2))];
  await publishAll(relay, ids);

  expect(publishedIds()).toEqual(ids);
  for (const message of published) {
    expect(message.properties).toMatchObject({ deliveryMode: 2, contentType: 'application/json' });
    expect(message.fields.routingKey).toBe('generation.GenerationQueued');
  }
  const body = JSON.parse(published[4].content.toString()) as EventMessage;
  const [recorded] = (await store.readAll(LOG_START, { limit: 1000 })).filter((e) => e.eventId === ids[4]);
  expect(body).toEqual({ ...recorded, routingKey: 'generation.GenerationQueued' });
  expect(await checkpoint(name)).toEqual({
    transaction_id: recorded.transactionId,
    global_position: recorded.globalPosition,
  });
  expect(await relay.lag()).toEqual({
    position: { transactionId: recorded.transactionId, globalPosition: recorded.globalPosition },
    pending: 0,
  });
  expect(await relay.runOnce()).toBe(0);
});

it('never skips an event committed late by a slower transaction', async () => {
  const name = uniqueName('late');
  const relay = newRelay({ name });
  await waitFor(async () => (await relay.runOnce(), (await relay.lag()).pending === 0), 20_000, 'a catch-up');
  published.length = 0;

  let commitSlow!: () => void;
  const slowMayCommit = new Promise<void>((resolve) => (commitSlow = resolve));
  let slowAppended!: () => void;
  const slowHasAppended = new Promise<void>((resolve) => (slowAppended = resolve));
  const slowEvent = newEvent();
  const slow = store.transaction(async (tx) => {
    await tx.append(generationStream(newId()), [slowEvent], NO_STREAM);
    slowAppended();
    await slowMayCommit;
  });
  await slowHasAppended;
  let fastId: string;
  try {
    [fastId] = await append(1); // higher position, committed first
    expect(await relay.runOnce()).toBe(0);
    expect((await relay.lag()).pending).toBe(1); // the slow event is not visible yet
  } finally {
    commitSlow();
    await slow;
  }
  await publishAll(relay, [slowEvent.eventId, fastId!]);
  expect(publishedIds()).toEqual([slowEvent.eventId, fastId!]);
});

it('does not move its checkpoint when the publish fails, and publishes the batch on the next round', async () => {
  const name = uniqueName('failing');
  const refusing: MessageBus = {
    publish: async (messages) => {
      throw new PublishFailed('nacked', messages.map((m) => m.eventId));
    },
    subscribe: () => Promise.reject(new Error('unused')),
    close: async () => undefined,
  };
  const ids = await append(2);
  const failing = newRelay({ name, bus: refusing });
  const refused = await waitFor(
    () => failing.runOnce().then(() => false, (error: unknown) => error),
    20_000,
    'a refused publish',
  );
  expect(refused).toBeInstanceOf(PublishFailed);
  expect(await checkpoint(name)).toBeUndefined();

  await publishAll(newRelay({ name, batchSize: 10_000 }), ids);
  expect(await checkpoint(name)).toBeDefined();
});

it('runs one relay per name: a second one waits for the lock and takes over when the first stops', async () => {
  const name = uniqueName('lock');
  const first = newRelay({ name });
  const second = newRelay({ name });
  first.start();
  await waitFor(() => first.isActive, 10_000, 'the first relay to take the lock');
  second.start();
  await waitFor(async () => (await first.lag()).pending === 0, 10_000, 'the first relay to catch up');
  published.length = 0;

  const before = await append(2);
  await waitFor(() => published.length === 2, 10_000, 'the first relay to publish');
  await sleep(200);
  expect(second.isActive).toBe(false);
  expect(await second.runOnce()).toBe(0);

  await first.stop();
  await waitFor(() => second.isActive, 10_000, 'the second relay to take over');
  const after = await append(2);
  await waitFor(() => published.length === 4, 10_000, 'the second relay to publish');
  await sleep(200);
  // Nothing published twice across the hand-over: the checkpoint carried over.
  expect(publishedIds()).toEqual([...before, ...after]);
  await second.stop();
  expect(second.isActive).toBe(false);
});

it('hands over when the session of the active relay dies', async () => {
  const name = uniqueName('dies');
  const first = newRelay({ name });
  const second = newRelay({ name });
  first.start();
  await waitFor(() => first.isActive, 10_000, 'the first relay to take the lock');
  second.start();
  await waitFor(async () => (await first.lag()).pending === 0, 10_000, 'the first relay to catch up');
  published.length = 0;

  // Kill the session holding the advisory lock, as a crashed host or a network cut would.
  const { rows } = await db.sql.query<{ terminated: boolean }>(
    `SELECT pg_terminate_backend(pid) AS terminated FROM pg_locks
      WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND classid::int = hashtext('darkroom.relay') AND objid::int = hashtext($1)`,
    [`relay:${name}`],
  );
  expect(rows).toEqual([{ terminated: true }]);
  await waitFor(() => second.isActive, 15_000, 'the second relay to take over');
  const ids = await append(2);
  await waitFor(() => ids.every((id) => publishedIds().includes(id)), 15_000, 'the second relay to publish');
  await waitFor(() => !first.isActive, 15_000, 'the first relay to notice');
});

it('over the in-process bus, checkpoints only what consumers settled and republishes the rest after a crash', async () => {
  const name = uniqueName('memory');
  const [stuckId] = await append(1);
  const laterIds = await append(2);
  const visibleIds = async () => (await store.readAll(LOG_START, { limit: 100_000 })).map((e) => e.eventId);
  await waitFor(async () => {
    const visible = await visibleIds();
    return laterIds.every((id) => visible.includes(id));
  }, 20_000, 'visibility');
  const all = await store.readAll(LOG_START, { limit: 100_000 });
  const stuck = all.find((e) => e.eventId === stuckId)!;
  const last = all[all.length - 1];

  // First process: one message never finishes (the process dies while handling it).
  const crashed = new InProcessBus();
  let release!: () => void;
  const never = new Promise<void>((resolve) => (release = resolve));
  const handledBefore: string[] = [];
  await crashed.subscribe({ name: 'consumer', bindings: ['#'], prefetch: 8 }, async ({ message }) => {
    if (message.eventId === stuckId) await never;
    handledBefore.push(message.eventId);
  });
  const first = newRelay({ name, bus: crashed });
  await waitFor(async () => (await first.runOnce(), laterIds.every((id) => handledBefore.includes(id))), 20_000, 'later events handled');
  await first.runOnce();
  const saved = await checkpoint(name);
  const before = (position: { transaction_id: string; global_position: string } | undefined) =>
    !position ||
    BigInt(position.transaction_id) < BigInt(stuck.transactionId) ||
    (position.transaction_id === stuck.transactionId && BigInt(position.global_position) < BigInt(stuck.globalPosition));
  expect(before(saved)).toBe(true);

  // Second process: same database, fresh memory. The stuck event is published again.
  const restarted = new InProcessBus();
  const handledAfter: string[] = [];
  await restarted.subscribe({ name: 'consumer', bindings: ['#'] }, async ({ message }) => {
    handledAfter.push(message.eventId);
  });
  const second = newRelay({ name, bus: restarted });
  await waitFor(async () => (await second.runOnce(), handledAfter.includes(stuckId)), 20_000, 'the stuck event again');
  await waitFor(
    async () => (await second.runOnce(), (await checkpoint(name))?.global_position === last.globalPosition),
    20_000,
    'the checkpoint to reach the end',
  );
  release();
  await restarted.close();
});
