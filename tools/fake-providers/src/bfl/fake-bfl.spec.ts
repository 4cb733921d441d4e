import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { FakeServer, sendJson, sleep } from '../fake-server';
import { FakeBfl } from './fake-bfl';

const fake = new FakeBfl().configure({ pendingMs: 40, latencyMs: 0, resultTtlMs: 400 });
const receiver = new FakeServer().on('POST', /^\/hook$/, (_, res) => sendJson(res, 200, {}));

beforeAll(async () => {
  await Promise.all([fake.start(), receiver.start()]);
});
afterAll(() => Promise.all([fake.stop(), receiver.stop()]));

describe('FakeBfl', () => {
  it('serves the sample until resultTtlMs after Ready, then 403 like an expired signed URL', async () => {
    const { id } = await submit('expiring');
    const result = await waitFor(async () => {
      const body = (await (await fetch(`${fake.url}/v1/get_result?id=${id}`)).json()) as { status: string; result: { sample: string } };
      return body.status === 'Pending' ? undefined : body;
    });
    expect(result).toMatchObject({ id, status: 'Ready', result: { seed: 5, prompt: 'expiring' } });
    const first = await fetch(result.result.sample);
    expect([first.status, first.headers.get('content-type')]).toEqual([200, 'image/png']);
    expect(Buffer.from(await first.arrayBuffer())).toEqual(await fake.expectedImage('expiring', 5, 64, 64));
    await sleep(420);
    expect((await fetch(result.result.sample)).status).toBe(403);
  });

  it('answers an unknown id with 200 Task not found', async () => {
    const response = await fetch(`${fake.url}/v1/get_result?id=nope`);
    expect([response.status, await response.json()]).toEqual([200, { id: 'nope', status: 'Task not found' }]);
  });

  it('sends N identical signed copies for [fake:duplicate-webhook:<N>]', async () => {
    const { id } = await submit('dup [fake:duplicate-webhook:3]', { webhook_url: `${receiver.url}/hook`, webhook_secret: 'shh' });
    const copies = await waitFor(() => {
      const sent = fake.webhooks.filter((w) => w.taskId === id);
      return sent.length >= 3 ? sent : undefined;
    });
    await sleep(50);
    expect(fake.webhooks.filter((w) => w.taskId === id)).toHaveLength(3);
    expect(new Set(copies.map((c) => c.body + c.signature)).size).toBe(1);
    expect(copies[0].signature).toBe(`sha256=${createHmac('sha256', 'shh').update(copies[0].body).digest('hex')}`);
    expect(copies.map((c) => c.status)).toEqual([200, 200, 200]);
  });

  it('loses the callback for [fake:lose-webhook] and delays it for [fake:late-webhook:<ms>]', async () => {
    const lost = await submit('lost [fake:lose-webhook]', { webhook_url: `${receiver.url}/hook`, webhook_secret: 'shh' });
    const submittedAt = Date.now();
    const late = await submit('late [fake:late-webhook:300]', { webhook_url: `${receiver.url}/hook`, webhook_secret: 'shh' });
    const [delivery] = await waitFor(() => {
      const sent = fake.webhooks.filter((w) => w.taskId === late.id);
      return sent.length > 0 ? sent : undefined;
    });
    // Pending for 40 ms, then 300 ms more before the callback.
    expect(delivery.at - submittedAt).toBeGreaterThanOrEqual(330);
    expect(fake.webhooks.filter((w) => w.taskId === lost.id)).toHaveLength(0);
    expect(fake.task(lost.id)?.status).toBe('Ready');
  });

  it('creates a second task for a retried POST: no idempotency', async () => {
    const [a, b] = [await submit('twice'), await submit('twice')];
    expect(a.id).not.toBe(b.id);
  });

  it('answers a 429 without Retry-After when told to', async () => {
    fake.configure({ retryAfterHeader: false });
    try {
      const response = await fetch(`${fake.url}/v1/flux-2-pro`, { method: 'POST', body: JSON.stringify({ prompt: 'busy [fake:429x1]' }) });
      expect([response.status, response.headers.get('retry-after'), await response.json()]).toEqual([
        429,
        null,
        { error: 'rate_limit_exceeded', message: expect.any(String), retry_after: 1 },
      ]);
    } finally {
      fake.configure({ retryAfterHeader: true });
    }
  });
});

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 3000): Promise<T> {
  for (const started = Date.now(); Date.now() - started < timeoutMs; await sleep(10)) {
    const value = await probe();
    if (value !== undefined) return value;
  }
  throw new Error('timed out waiting');
}

async function submit(prompt: string, extra: object = {}): Promise<{ id: string; polling_url: string }> {
  const body = JSON.stringify({ prompt, width: 64, height: 64, seed: 5, ...extra });
  const response = await fetch(`${fake.url}/v1/flux-2-pro`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  expect(response.status).toBe(200);
  return (await response.json()) as { id: string; polling_url: string };
}
