import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeFal } from './fake-fal';
import { forcedStatus } from './fal-problems';

const fake = new FakeFal({ queueStepMs: 20, processingMs: 40 });
const auth = { authorization: 'Key k' };

beforeAll(() => fake.start());
afterAll(() => fake.stop());

describe('FakeFal', () => {
  it('answers cancel per state: queued, running, completed, unknown', async () => {
    const cancel = async (id: string) => {
      const response = await fetch(`${fake.url}/fal-ai/flux/requests/${id}/cancel`, { method: 'PUT', headers: auth });
      return [response.status, ((await response.json()) as { status: string }).status];
    };
    const queued = await submit('queued [fake:queue:20]');
    expect(await cancel(queued.request_id)).toEqual([202, 'CANCELLATION_REQUESTED']);
    expect((await status(queued.request_id)).status).toBe(404);

    const running = await submit('running [fake:latency:200]');
    await until(async () => (await statusOf(running.request_id)).status === 'IN_PROGRESS');
    expect(await cancel(running.request_id)).toEqual([202, 'CANCELLATION_REQUESTED']);
    await until(async () => (await statusOf(running.request_id)).status === 'COMPLETED');
    expect(await cancel(running.request_id)).toEqual([400, 'ALREADY_COMPLETED']);
    expect(await cancel('nope')).toEqual([404, 'NOT_FOUND']);
  });

  it('shows logs only with logs=1, and metrics when completed', async () => {
    const { request_id: id } = await submit('logged');
    await until(async () => (await statusOf(id)).status === 'COMPLETED');
    expect(await statusOf(id)).toMatchObject({ status: 'COMPLETED', logs: null, metrics: { inference_time: expect.any(Number) } });
    expect((await statusOf(id, '?logs=1')).logs).toEqual([
      expect.objectContaining({ message: 'Running fal-ai/flux/dev', level: 'INFO' }),
      expect.objectContaining({ message: 'Done' }),
    ]);
  });

  it('keeps status and results off the subpath, and wants a key', async () => {
    const { request_id: id } = await submit('rooted');
    expect((await fetch(`${fake.url}/fal-ai/flux/dev/requests/${id}/status`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${fake.url}/fal-ai/flux/requests/${id}/status`)).status).toBe(401);
  });

  it('holds requests over the active limit IN_QUEUE', async () => {
    fake.configure({ activeLimit: 1 });
    try {
      const [a, b] = [await submit('first [fake:latency:150]'), await submit('second [fake:latency:150]')];
      await until(async () => (await statusOf(a.request_id)).status === 'IN_PROGRESS');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await statusOf(b.request_id)).toMatchObject({ status: 'IN_QUEUE', queue_position: 0 });
      await until(async () => (await statusOf(b.request_id)).status === 'COMPLETED');
      expect(fake.meter.peak).toBeGreaterThanOrEqual(2);
    } finally {
      fake.configure({ activeLimit: undefined });
    }
  });

  it('publishes Ed25519 keys and rotates them', async () => {
    const keys = async () => ((await (await fetch(fake.jwksUrl)).json()) as { keys: { kty: string; crv: string; kid: string }[] }).keys;
    const [original] = await keys();
    expect(original).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    fake.rotateKey();
    expect((await keys()).map((k) => k.kid)).toEqual([original.kid, expect.any(String)]);
    fake.dropOldKey();
    expect((await keys()).map((k) => k.kid)).not.toContain(original.kid);
  });
});

describe('forcedStatus', () => {
  it('counts chained directives in prompt order', () => {
    const directives = new Map([['poll-503x1', ''], ['latency', '5'], ['poll-429x2', '']]);
    expect([1, 2, 3, 4].map((n) => forcedStatus(directives, 'poll-', n))).toEqual([503, 429, 429, undefined]);
    expect(forcedStatus(directives, '', 1)).toBeUndefined();
  });
});

async function submit(prompt: string): Promise<{ request_id: string }> {
  const response = await fetch(`${fake.url}/fal-ai/flux/dev`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ prompt }) });
  return (await response.json()) as { request_id: string };
}

const statusOf = async (id: string, query = '') => (await (await status(id, query)).json()) as Record<string, unknown>;

const status = (id: string, query = '') => fetch(`${fake.url}/fal-ai/flux/requests/${id}/status${query}`, { headers: auth });

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition never met');
}
