import { Client } from 'pg';
import { Controller, Logger, Module, type INestMicroservice, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { generationStream } from '@darkroom/contracts';
import { ANY } from '@darkroom/event-store';
import { deriveId } from '@darkroom/kernel';
import { createTestDatabase, rabbitMqTestUrl, uniqueName, type TestDatabase } from '@darkroom/testing';
import { EventContext } from './event-context';
import { EventTransport } from './event-transport';
import { InProcessBus } from './in-process-bus';
import type { EventMessage, MessageBus } from './message-bus';
import { eventMessage, sleep, waitFor } from './messaging.fixtures';
import { OnEvent } from './on-event.decorator';
import { RabbitMqBus } from './rabbitmq-bus';

jest.setTimeout(60_000);
Logger.overrideLogger(false);

const exchange = uniqueName('darkroom_test_transport');
const LEDGER = uniqueName('ledger');
const STORAGE = uniqueName('storage');
const QUEUED = 'generation.GenerationQueued';
const FAILED = 'generation.GenerationFailed';
const CREATED = 'generation.GenerationCreated';
const CANCELED = 'generation.GenerationCanceled';

let db: TestDatabase;
let rabbit: RabbitMqBus;
const apps: INestMicroservice[] = [];
/** Handler calls, including the ones whose transaction rolled back. */
const calls: { consumer: string; eventId: string; attempt: number }[] = [];
/** Event ids whose handler throws after writing on its first attempt. */
const failOnce = new Set<string>();

@Controller()
class LedgerHandlers {
  @OnEvent(LEDGER, QUEUED)
  async queued(@Payload() message: EventMessage, @Ctx() ctx: EventContext): Promise<void> {
    calls.push({ consumer: ctx.consumer, eventId: message.eventId, attempt: ctx.attempt });
    await ctx.tx.query(`INSERT INTO effects (consumer, event_id) VALUES ($1, $2)`, [ctx.consumer, message.eventId]);
    await ctx.store.append(
      generationStream(`effect-${message.eventId}`),
      [{ eventId: deriveId(LEDGER, message.eventId), type: 'EffectRecorded', data: {}, metadata: { correlationId: 'c', schemaVersion: 1 } }],
      ANY,
    );
    if (failOnce.has(message.eventId) && ctx.attempt === 1) throw new Error(`ledger cannot take ${message.eventId} yet`);
  }

  @OnEvent(LEDGER, FAILED)
  async failed(@Payload() message: EventMessage): Promise<void> {
    throw new Error(`no credit account for ${message.eventId}`);
  }

  /** Something other than the database refuses the connection (a bucket, a provider): a real ECONNREFUSED. */
  @OnEvent(LEDGER, CANCELED)
  async canceled(): Promise<void> {
    const elsewhere = new Client({ connectionString: 'postgres://darkroom@127.0.0.1:1/none', connectionTimeoutMillis: 2000 });
    await elsewhere.connect();
  }
}

@Controller()
class StorageHandlers {
  @OnEvent(STORAGE, CREATED)
  async created(@Payload() message: EventMessage, @Ctx() ctx: EventContext): Promise<void> {
    calls.push({ consumer: ctx.consumer, eventId: message.eventId, attempt: ctx.attempt });
    await ctx.tx.query(`INSERT INTO effects (consumer, event_id) VALUES ($1, $2)`, [ctx.consumer, message.eventId]);
  }
}

@Module({ controllers: [LedgerHandlers, StorageHandlers] })
class ServicesModule {}

async function startApp(module: Type<unknown>, bus: MessageBus): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice(module, {
    strategy: new EventTransport({
      bus,
      sql: db.sql,
      consumerOptions: { [LEDGER]: { maxAttempts: 3, retryDelaysMs: [50] } },
    }),
    logger: false,
  });
  apps.push(app);
  await app.listen();
  return app;
}

const effects = async (consumer: string, eventId: string): Promise<number> =>
  (
    await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM effects WHERE consumer = $1 AND event_id = $2`, [
      consumer,
      eventId,
    ])
  ).rows[0].n;

const effectEvents = async (eventId: string): Promise<number> =>
  (
    await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE stream_id = $1`, [
      generationStream(`effect-${eventId}`),
    ])
  ).rows[0].n;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql.query(`CREATE TABLE effects (consumer text NOT NULL, event_id uuid NOT NULL)`);
  rabbit = new RabbitMqBus({ url: rabbitMqTestUrl(), exchange, queuePrefix: exchange });
});

afterAll(async () => {
  for (const app of apps) await app.close().catch(() => undefined);
  await rabbit?.deleteTopology();
  await rabbit?.close();
  await db?.drop();
});

describe('on RabbitMQ', () => {
  beforeAll(() => startApp(ServicesModule, rabbit));

  it('runs the handler in the inbox transaction: its writes commit once, even for a message delivered twice', async () => {
    const message = eventMessage({ type: 'GenerationQueued' });
    await rabbit.publish([message]);
    await rabbit.publish([message]);
    await waitFor(() => calls.filter((c) => c.eventId === message.eventId).length === 1, 15_000, 'the handler');
    await sleep(300); // the second copy is acked without reaching the handler
    expect(calls.filter((c) => c.eventId === message.eventId)).toEqual([{ consumer: LEDGER, eventId: message.eventId, attempt: 1 }]);
    expect(await effects(LEDGER, message.eventId)).toBe(1);
    expect(await effectEvents(message.eventId)).toBe(1);
  });

  it('rolls back what a failing handler wrote and commits the retry', async () => {
    const message = eventMessage({ type: 'GenerationQueued' });
    failOnce.add(message.eventId);
    await rabbit.publish([message]);
    await waitFor(async () => (await effects(LEDGER, message.eventId)) === 1, 15_000, 'the retry');
    await sleep(200);
    expect(calls.filter((c) => c.eventId === message.eventId).map((c) => c.attempt)).toEqual([1, 2]);
    expect(await effectEvents(message.eventId)).toBe(1);
  });

  it('dead-letters after the consumer’s maxAttempts with the handler’s own error', async () => {
    const message = eventMessage({ type: 'GenerationFailed' });
    await rabbit.publish([message]);
    const letters = await waitFor(async () => {
      const listed = await rabbit.listDeadLetters(LEDGER);
      return listed.some((letter) => letter.message.eventId === message.eventId) && listed;
    }, 20_000, 'the dead letter');
    expect(letters.find((letter) => letter.message.eventId === message.eventId)).toMatchObject({
      attempts: 3,
      error: `no credit account for ${message.eventId}`,
    });
  });

  it('counts a refused connection as an attempt while the database answers (only a database outage is not counted)', async () => {
    const message = eventMessage({ type: 'GenerationCanceled' });
    await rabbit.publish([message]);
    const letters = await waitFor(async () => {
      const listed = await rabbit.listDeadLetters(LEDGER);
      return listed.some((letter) => letter.message.eventId === message.eventId) && listed;
    }, 20_000, 'the dead letter');
    expect(letters.find((letter) => letter.message.eventId === message.eventId)).toMatchObject({ attempts: 3, error: expect.stringContaining('ECONNREFUSED') });
  });

  it('gives each consumer its own queue bound to exactly its keys', async () => {
    const created = eventMessage({ type: 'GenerationCreated' });
    await rabbit.publish([created]);
    await waitFor(async () => (await effects(STORAGE, created.eventId)) === 1, 15_000, 'storage');
    await sleep(200);
    expect(calls.filter((c) => c.eventId === created.eventId)).toEqual([
      { consumer: STORAGE, eventId: created.eventId, attempt: 1 },
    ]);
  });
});

describe('on the in-process bus', () => {
  it('runs the same handlers with the same once-only effect', async () => {
    const bus = new InProcessBus({ delayScale: 0 });
    const app = await startApp(ServicesModule, bus);
    const message = eventMessage({ type: 'GenerationQueued' });
    await bus.publish([message, message]);
    await waitFor(async () => (await effects(LEDGER, message.eventId)) === 1, 15_000, 'the effect');
    await app.close();
    await bus.close();
    expect(calls.filter((c) => c.eventId === message.eventId)).toHaveLength(1);
    expect(await effects(LEDGER, message.eventId)).toBe(1);
  });
});

describe('boot checks', () => {
  it('refuses two handlers for the same consumer and key', async () => {
    @Controller()
    class SecondLedgerHandlers {
      @OnEvent(LEDGER, QUEUED)
      async queuedAgain(): Promise<void> {
        return undefined;
      }
    }
    @Module({ controllers: [LedgerHandlers, SecondLedgerHandlers] })
    class DuplicateModule {}
    await expect(startApp(DuplicateModule, new InProcessBus())).rejects.toThrow(
      `Two handlers for consumer "${LEDGER}" and key "${QUEUED}"`,
    );
  });

  it('refuses an event pattern that does not name its consumer', async () => {
    @Controller()
    class BareHandlers {
      @EventPattern(QUEUED)
      async queued(): Promise<void> {
        return undefined;
      }
    }
    @Module({ controllers: [BareHandlers] })
    class BareModule {}
    await expect(startApp(BareModule, new InProcessBus())).rejects.toThrow(/is not \{ consumer, key \}/);
  });
});
