import { InProcessBus } from './in-process-bus';
import type { Delivery } from './message-bus';
import { eventMessage, sleep, waitFor } from './messaging.fixtures';

let bus: InProcessBus;

beforeEach(() => {
  bus = new InProcessBus({ delayScale: 0.01 });
});
afterEach(() => bus.close());

const spec = (overrides: { name?: string; bindings?: string[]; maxAttempts?: number; prefetch?: number } = {}) => ({
  name: overrides.name ?? 'ledger',
  bindings: overrides.bindings ?? ['generation.*'],
  maxAttempts: overrides.maxAttempts ?? 3,
  prefetch: overrides.prefetch ?? 4,
  retryDelaysMs: [100, 200],
});

describe('routing', () => {
  it('delivers to every consumer bound to the key and drops what nobody is bound to', async () => {
    const seen: string[] = [];
    await bus.subscribe(spec({ name: 'ledger', bindings: ['generation.GenerationCreated'] }), async (d) => {
      seen.push(`ledger:${d.message.type}`);
    });
    await bus.subscribe(spec({ name: 'storage', bindings: ['#'] }), async (d) => {
      seen.push(`storage:${d.message.type}`);
    });
    await bus.publish([
      eventMessage({ type: 'GenerationCreated' }),
      eventMessage({ type: 'GenerationQueued' }),
      eventMessage({ streamId: 'asset-1', type: 'AssetStored' }),
    ]);
    await waitFor(() => seen.length === 4);
    await sleep(20);
    expect(seen.sort()).toEqual([
      'ledger:GenerationCreated',
      'storage:AssetStored',
      'storage:GenerationCreated',
      'storage:GenerationQueued',
    ]);
  });

  it('keeps one FIFO queue per consumer', async () => {
    const order: number[] = [];
    await bus.subscribe(spec({ prefetch: 1 }), async (d) => {
      order.push((d.message.data as { n: number }).n);
    });
    await bus.publish([1, 2, 3, 4, 5].map((n) => eventMessage({ data: { n } })));
    await waitFor(() => order.length === 5);
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('delivery', () => {
  it('delivers a message published twice twice: deduplication is the inbox’s job', async () => {
    const deliveries: Delivery[] = [];
    await bus.subscribe(spec(), async (d) => {
      deliveries.push(d);
    });
    const message = eventMessage();
    await bus.publish([message]);
    await bus.publish([message]);
    await waitFor(() => deliveries.length === 2);
    expect(deliveries.map((d) => [d.message.eventId, d.attempt])).toEqual([
      [message.eventId, 1],
      [message.eventId, 1],
    ]);
  });

  it('never runs more handlers of a consumer at once than its prefetch', async () => {
    let running = 0;
    let peak = 0;
    let done = 0;
    await bus.subscribe(spec({ prefetch: 3 }), async () => {
      running++;
      peak = Math.max(peak, running);
      await sleep(10);
      running--;
      done++;
    });
    await bus.publish(Array.from({ length: 12 }, () => eventMessage()));
    await waitFor(() => done === 12);
    expect(peak).toBe(3);
  });

  it('retries a failing handler with increasing attempts until it succeeds', async () => {
    const attempts: number[] = [];
    await bus.subscribe(spec({ maxAttempts: 5 }), async (d) => {
      attempts.push(d.attempt);
      if (d.attempt < 3) throw new Error('not yet');
    });
    await bus.publish([eventMessage()]);
    await waitFor(() => attempts.length === 3);
    await sleep(20);
    expect(attempts).toEqual([1, 2, 3]);
    expect(await bus.listDeadLetters('ledger')).toEqual([]);
  });

  it('dead-letters a message after maxAttempts with its error while others keep flowing', async () => {
    const poison = eventMessage({ type: 'GenerationFailed' });
    const handled: string[] = [];
    await bus.subscribe(spec({ maxAttempts: 3 }), async (d) => {
      if (d.message.eventId === poison.eventId) throw new Error(`boom on attempt ${d.attempt}`);
      handled.push(d.message.eventId);
    });
    const others = [eventMessage(), eventMessage()];
    await bus.publish([poison, ...others]);
    const [letter] = await waitFor(async () => {
      const letters = await bus.listDeadLetters('ledger');
      return letters.length > 0 && letters;
    });
    expect(handled.sort()).toEqual(others.map((m) => m.eventId).sort());
    expect(letter).toMatchObject({ consumer: 'ledger', attempts: 3, error: 'boom on attempt 3' });
    expect(letter.message.eventId).toBe(poison.eventId);
    expect(Date.parse(letter.lastFailedAt!)).toBeGreaterThanOrEqual(Date.parse(letter.firstFailedAt!));
  });

  it('re-drives a dead letter to its consumer from attempt 1', async () => {
    let fail = true;
    const attempts: number[] = [];
    await bus.subscribe(spec({ maxAttempts: 1 }), async (d) => {
      attempts.push(d.attempt);
      if (fail) throw new Error('down');
    });
    const message = eventMessage();
    await bus.publish([message]);
    await waitFor(async () => (await bus.listDeadLetters('ledger')).length === 1);
    fail = false;
    expect(await bus.redrive('ledger', message.eventId)).toBe(1);
    await waitFor(() => attempts.length === 2);
    expect(attempts).toEqual([1, 1]);
    expect(await bus.listDeadLetters('ledger')).toEqual([]);
  });
});

describe('subscriptions', () => {
  it('keeps a consumer’s messages while it has no subscriber, like a durable queue', async () => {
    const seen: string[] = [];
    const first = await bus.subscribe(spec(), async (d) => {
      seen.push(d.message.eventId);
    });
    await first.close();
    const message = eventMessage();
    await bus.publish([message]);
    await sleep(20);
    expect(seen).toEqual([]);
    await bus.subscribe(spec(), async (d) => {
      seen.push(d.message.eventId);
    });
    await waitFor(() => seen.length === 1);
    expect(seen).toEqual([message.eventId]);
  });

  it('refuses a second subscriber for the same consumer', async () => {
    await bus.subscribe(spec(), async () => undefined);
    await expect(bus.subscribe(spec(), async () => undefined)).rejects.toThrow(/already has a subscriber/);
  });

  it('close() waits for the handlers in flight', async () => {
    let started = false;
    let finished = false;
    await bus.subscribe(spec(), async () => {
      started = true;
      await sleep(50);
      finished = true;
    });
    await bus.publish([eventMessage()]);
    await waitFor(() => started);
    await bus.close();
    expect(finished).toBe(true);
    await expect(bus.publish([eventMessage()])).rejects.toThrow(/closed/);
  });
});

describe('settlement (what the relay may checkpoint)', () => {
  const at = (position: number) => ({ transactionId: String(position), globalPosition: String(position) });

  it('reports a position only once every earlier message is handled by every consumer bound to it', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await bus.subscribe(spec({ name: 'slow', bindings: ['generation.GenerationCreated'] }), async () => held);
    await bus.subscribe(spec({ name: 'fast', bindings: ['#'] }), async () => undefined);

    await bus.publish([
      eventMessage({ type: 'GenerationQueued', ...at(1) }),
      eventMessage({ type: 'GenerationCreated', ...at(2) }),
      eventMessage({ type: 'GenerationQueued', ...at(3) }),
    ]);
    await waitFor(() => bus.settledThrough()?.globalPosition === '1');
    await sleep(30);
    expect(bus.settledThrough()).toEqual(at(1)); // 3 is handled, but 2 is still with "slow"

    release();
    await waitFor(() => bus.settledThrough()?.globalPosition === '3');
  });

  it('counts a message as settled only when it is dead-lettered, not while it waits for a retry', async () => {
    const slowRetries = new InProcessBus(); // real delays: 100 ms, then 200 ms
    let failures = 0;
    try {
      await slowRetries.subscribe(spec({ name: 'poison', maxAttempts: 3 }), async () => {
        failures++;
        throw new Error('always');
      });
      await slowRetries.publish([eventMessage({ ...at(7) })]);
      await waitFor(() => failures === 1);
      expect(slowRetries.settledThrough()).toBeUndefined();
      await waitFor(() => failures === 3);
      await waitFor(() => slowRetries.settledThrough()?.globalPosition === '7');
    } finally {
      await slowRetries.close();
    }
  });

  it('settles a message no consumer is bound to at once', async () => {
    await bus.publish([eventMessage({ streamId: 'asset-1', type: 'AssetDeleted', ...at(9) })]);
    expect(bus.settledThrough()).toEqual(at(9));
  });
});
