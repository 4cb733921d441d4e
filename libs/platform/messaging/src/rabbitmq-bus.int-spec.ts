import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { createTestDatabase, openRabbitMqProbe, rabbitMqTestUrl, uniqueName, type RabbitMqProbe, type TestDatabase } from '@darkroom/testing';
import { DependencyOutage } from './dependency-outage';
import { handleOnce } from './inbox-handler';
import type { ConsumerSpec, Delivery, EventMessage } from './message-bus';
import { eventMessage, sleep, waitFor } from './messaging.fixtures';
import { PublishFailed } from './publish-failed';
import { RabbitMqBus } from './rabbitmq-bus';
import { BROKER_REDELIVERY_LIMIT } from './rabbitmq-topology';

jest.setTimeout(60_000);
Logger.overrideLogger(false);

let db: TestDatabase;
let probe: RabbitMqProbe;
const buses: RabbitMqBus[] = [];
const exchange = uniqueName('darkroom_test_events');
const queuePrefix = uniqueName('darkroom_test');

/** Every bus of this file shares one sandbox exchange and queue prefix. */
function newBus(): RabbitMqBus {
  const bus = new RabbitMqBus({ url: rabbitMqTestUrl(), exchange, queuePrefix, connectTimeoutMs: 15_000 });
  buses.push(bus);
  return bus;
}

/** Each test's consumer binds only its own event type, so tests cannot see each other's messages. */
const consumer = (name: string, overrides: Partial<ConsumerSpec> = {}): ConsumerSpec => ({
  name,
  bindings: [`generation.${name}`],
  maxAttempts: 3,
  retryDelaysMs: [50, 100],
  prefetch: 4,
  ...overrides,
});

/** A consumer effect that must happen once: one row per handled event. */
async function recordOnce(bus: string, message: EventMessage): Promise<boolean> {
  return handleOnce(db.sql, bus, message, async (tx) => {
    await tx.query(`INSERT INTO effects (consumer, event_id) VALUES ($1, $2)`, [bus, message.eventId]);
  });
}

const effects = async (eventId: string): Promise<number> =>
  (await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM effects WHERE event_id = $1`, [eventId])).rows[0].n;

const messageFor = (name: string): EventMessage => eventMessage({ type: name });

beforeAll(async () => {
  db = await createTestDatabase();
  // Not unique on purpose: a duplicate effect must show up as a second row.
  await db.sql.query(`CREATE TABLE effects (consumer text NOT NULL, event_id uuid NOT NULL)`);
  probe = await openRabbitMqProbe();
});

afterAll(async () => {
  // Each bus deletes the queues it declared (the aborted one cannot: its survivor shares them).
  for (const bus of buses) await bus.deleteTopology().catch(() => undefined);
  for (const bus of buses) await bus.close().catch(() => undefined);
  await probe?.close();
  await db?.drop();
});

describe('publishing', () => {
  it('declares the exchange with its alternate exchange and keeps unrouted messages', async () => {
    const bus = newBus();
    await bus.publish([eventMessage({ streamId: 'asset-nobody-listens', type: 'AssetDeleted' })]);
    await waitFor(async () => (await probe.depth(`${exchange}.unrouted`)) >= 1, 10_000, 'the unrouted queue');
  });

  it('rejects publish() with a typed error when the broker returns the message', async () => {
    const bus = newBus();
    await bus.connect();
    // Without the alternate exchange's queue, a message nobody binds cannot be routed at all.
    await probe.withChannel((channel) => channel.deleteQueue(`${exchange}.unrouted`));
    try {
      const message = eventMessage({ streamId: 'asset-unroutable', type: 'AssetDeleted' });
      const attempt = bus.publish([message]);
      await expect(attempt).rejects.toBeInstanceOf(PublishFailed);
      await expect(attempt).rejects.toMatchObject({ reason: 'unroutable', eventIds: [message.eventId] });
      // The channel survives a return: routable messages still go through.
      const routable = uniqueName('routable');
      await bus.subscribe(consumer(routable), async () => undefined);
      await expect(bus.publish([messageFor(routable)])).resolves.toBeUndefined();
    } finally {
      // Let a fresh bus re-declare the unrouted queue for the other tests.
      const restore = newBus();
      await restore.connect();
    }
  });
});

describe('consuming', () => {
  it('a message delivered twice changes state once', async () => {
    const bus = newBus();
    const name = uniqueName('twice');
    const deliveries: Delivery[] = [];
    await bus.subscribe(consumer(name), async (delivery) => {
      await recordOnce(name, delivery.message);
      deliveries.push(delivery); // counted once its transaction is over
    });
    const message = messageFor(name);
    await bus.publish([message]);
    await bus.publish([message]);
    await waitFor(() => deliveries.length === 2, 15_000, 'two deliveries');
    expect(deliveries.map((d) => d.message.eventId)).toEqual([message.eventId, message.eventId]);
    expect(await effects(message.eventId)).toBe(1);
  });

  it('a consumer that crashes after its commit but before the ack gets a redelivery that changes nothing', async () => {
    const name = uniqueName('crash');
    const message = messageFor(name);
    const crashing = newBus();
    let committed = false;
    await crashing.subscribe(consumer(name), async (delivery) => {
      expect(await recordOnce(name, delivery.message)).toBe(true);
      committed = true;
      await crashing.abort(); // the process dies before it can ack
    });
    await crashing.publish([message]);
    await waitFor(() => committed, 15_000, 'the first commit');

    const survivor = newBus();
    const redelivered: { attempt: number; ran: boolean }[] = [];
    await survivor.subscribe(consumer(name), async (delivery) => {
      redelivered.push({ attempt: delivery.attempt, ran: await recordOnce(name, delivery.message) });
    });
    await waitFor(() => redelivered.length === 1, 15_000, 'the redelivery');
    expect(redelivered[0]).toEqual({ attempt: 1, ran: false });
    expect(await effects(message.eventId)).toBe(1);
    await sleep(200);
    expect(redelivered).toHaveLength(1); // acked this time
  });

  it('dead-letters a message whose handler crashes the process every time (broker delivery limit)', async () => {
    const name = uniqueName('crashloop');
    const message = messageFor(name);
    const attempts: number[] = [];
    const publisher = newBus();
    // The broker dead-letters the message once it was handed back more than its limit allows.
    for (let crash = 1; crash <= BROKER_REDELIVERY_LIMIT + 1; crash++) {
      const bus = newBus();
      await bus.subscribe(consumer(name), async (delivery) => {
        attempts.push(delivery.attempt);
        await bus.abort();
      });
      if (crash === 1) await publisher.publish([message]);
      await waitFor(() => attempts.length === crash, 15_000, `crash ${crash}`);
    }
    const letters = await waitFor(async () => {
      const listed = await publisher.listDeadLetters(name);
      return listed.length > 0 && listed;
    }, 15_000, 'the dead letter');
    // Crashes are not handler failures: every delivery is still attempt 1.
    expect(attempts).toEqual(Array(BROKER_REDELIVERY_LIMIT + 1).fill(1));
    expect(letters[0].message.eventId).toBe(message.eventId);
    expect(letters[0].error).toMatch(/delivery_limit/);
  });

  it('retries a failing handler with back-off and increasing attempts', async () => {
    const bus = newBus();
    const name = uniqueName('retry');
    const attempts: { attempt: number; at: number }[] = [];
    await bus.subscribe(consumer(name, { maxAttempts: 5 }), async (delivery) => {
      attempts.push({ attempt: delivery.attempt, at: Date.now() });
      if (delivery.attempt < 3) throw new Error('not yet');
    });
    await bus.publish([messageFor(name)]);
    await waitFor(() => attempts.length === 3, 15_000, 'three attempts');
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(45);
    expect(attempts[2].at - attempts[1].at).toBeGreaterThanOrEqual(95);
    expect(await bus.listDeadLetters(name)).toEqual([]);
  });

  it('dead-letters a message that always fails, with its error, while the others keep flowing', async () => {
    const bus = newBus();
    const name = uniqueName('poison');
    const poison = messageFor(name);
    const good = [messageFor(name), messageFor(name), messageFor(name)];
    const handled: string[] = [];
    const poisonAttempts: number[] = [];
    await bus.subscribe(consumer(name, { maxAttempts: 3, prefetch: 1 }), async (delivery) => {
      if (delivery.message.eventId === poison.eventId) {
        poisonAttempts.push(delivery.attempt);
        throw new Error(`cannot handle ${delivery.message.type}`);
      }
      await recordOnce(name, delivery.message);
      handled.push(delivery.message.eventId);
    });
    await bus.publish([poison, ...good]);

    const letters = await waitFor(async () => {
      const listed = await bus.listDeadLetters(name);
      return listed.length > 0 && listed;
    }, 20_000, 'the dead letter');
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      consumer: name,
      attempts: 3,
      error: `cannot handle ${name}`,
      message: { eventId: poison.eventId, type: name, routingKey: poison.routingKey },
    });
    expect(Date.parse(letters[0].lastFailedAt!)).toBeGreaterThan(Date.parse(letters[0].firstFailedAt!));
    expect(poisonAttempts).toEqual([1, 2, 3]);
    await waitFor(() => handled.length === 3, 15_000, 'the good messages');
    expect(handled.sort()).toEqual(good.map((m) => m.eventId).sort());
    // Listing does not consume: the dead letter is still there.
    expect((await bus.listDeadLetters(name)).map((letter) => letter.message.eventId)).toEqual([poison.eventId]);
    await waitFor(async () => (await probe.depth(`${queuePrefix}.${name}.dlq`)) === 1, 5_000, 'the DLQ depth');
    expect(await probe.depth(`${queuePrefix}.${name}`)).toBe(0);
  });

  it('retries a message while the database is unreachable without spending its attempts', async () => {
    const bus = newBus();
    const name = uniqueName('outage');
    const message = messageFor(name);
    const attempts: number[] = [];
    await bus.subscribe(consumer(name, { maxAttempts: 3 }), async (delivery) => {
      attempts.push(delivery.attempt);
      // More failures than maxAttempts, each the transport's verdict on a real connection refused.
      if (attempts.length <= 5) {
        const unreachable = new Client({ connectionString: 'postgres://darkroom@127.0.0.1:1/none', connectionTimeoutMillis: 2000 });
        await unreachable.connect().catch((error: unknown) => {
          throw new DependencyOutage('database', { cause: error });
        });
      }
      await recordOnce(name, delivery.message);
    });
    await bus.publish([message]);

    await waitFor(async () => (await effects(message.eventId)) === 1, 20_000, 'the message handled after the outage');
    expect(attempts).toEqual([1, 1, 1, 1, 1, 1]);
    expect(await bus.listDeadLetters(name)).toEqual([]);
  });

  it('re-drives a dead letter to its consumer, starting again at attempt 1', async () => {
    const bus = newBus();
    const name = uniqueName('redrive');
    let healthy = false;
    const attempts: number[] = [];
    await bus.subscribe(consumer(name, { maxAttempts: 2 }), async (delivery) => {
      attempts.push(delivery.attempt);
      if (!healthy) throw new Error('dependency down');
      await recordOnce(name, delivery.message);
    });
    const message = messageFor(name);
    await bus.publish([message]);
    await waitFor(async () => (await bus.listDeadLetters(name)).length === 1, 20_000, 'the dead letter');
    healthy = true;
    expect(await bus.redrive(name, 'another-event-id')).toBe(0);
    expect(await bus.redrive(name, message.eventId)).toBe(1);
    await waitFor(async () => (await effects(message.eventId)) === 1, 15_000, 'the re-driven effect');
    expect(attempts).toEqual([1, 2, 1]);
    expect(await bus.listDeadLetters(name)).toEqual([]);
  });

  it('holds at most prefetch messages of a consumer in flight', async () => {
    const bus = newBus();
    const name = uniqueName('prefetch');
    let running = 0;
    let peak = 0;
    let done = 0;
    await bus.subscribe(consumer(name, { prefetch: 2 }), async () => {
      running++;
      peak = Math.max(peak, running);
      await sleep(30);
      running--;
      done++;
    });
    await bus.publish(Array.from({ length: 8 }, () => messageFor(name)));
    await waitFor(() => done === 8, 15_000, 'eight deliveries');
    expect(peak).toBe(2);
  });

  it('keeps publishing and consuming after the connection drops', async () => {
    const bus = newBus();
    const name = uniqueName('reconnect');
    const seen: string[] = [];
    await bus.subscribe(consumer(name), async (delivery) => {
      seen.push(delivery.message.eventId);
    });
    const before = messageFor(name);
    await bus.publish([before]);
    await waitFor(() => seen.includes(before.eventId), 15_000, 'the first message');

    // What a broker restart or network cut looks like to the client: the connection closes.
    bus['manager'].reconnect();
    const after = messageFor(name);
    // A publish caught by the drop fails fast (PublishFailed 'closed'); the caller retries.
    await waitFor(() => bus.publish([after]).then(() => true, () => false), 15_000, 'a confirmed publish');
    await waitFor(() => seen.includes(after.eventId), 15_000, 'a message after the reconnect');
  });

  it('takes a new maxAttempts on a queue declared with another: its arguments do not depend on it', async () => {
    const bus = newBus();
    const name = uniqueName('redeclare');
    const first = await bus.subscribe(consumer(name, { maxAttempts: 3 }), async () => undefined);
    await first.close();
    const handled: string[] = [];
    await bus.subscribe(consumer(name, { maxAttempts: 7 }), async (delivery) => void handled.push(delivery.message.eventId));
    const message = messageFor(name);
    await bus.publish([message]);
    await waitFor(() => handled.length === 1, 15_000, 'the message on the redeclared queue');
    expect(handled).toEqual([message.eventId]);
  });
});
