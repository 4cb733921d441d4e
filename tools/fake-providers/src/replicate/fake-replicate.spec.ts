import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeServer, sendJson } from '../fake-server';
import { FakeReplicate } from './fake-replicate';

const fake = new FakeReplicate({ startingMs: 20, processingMs: 40 });
const receiver = new FakeServer().on('POST', /^\/hook$/, (_req, res) => sendJson(res, 200, {}));
const auth = { authorization: 'Bearer r8', 'content-type': 'application/json' };

beforeAll(() => Promise.all([fake.start(), receiver.start()]));
afterAll(() => Promise.all([fake.stop(), receiver.stop()]));

describe('FakeReplicate', () => {
  // First, while nothing else is processing.
  it('holds predictions over the active limit in starting', async () => {
    fake.configure({ activeLimit: 1 });
    try {
      const first = await createId('/models/a/b/predictions', { input: { prompt: 'one [fake:latency:200]' } });
      const second = await createId('/models/a/b/predictions', { input: { prompt: 'two [fake:latency:50]' } });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect([fake.prediction(first)?.['status'], fake.prediction(second)?.['status']]).toEqual(['processing', 'starting']);
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(fake.prediction(second)?.['status']).toBe('succeeded');
    } finally {
      fake.configure({ activeLimit: undefined });
    }
  });

  it('creates on the deployments path and answers 201 with urls', async () => {
    const response = await create('/deployments/acme/painter/predictions', { input: { prompt: 'deployed' } });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { id: string; urls: { get: string } };
    expect(body).toMatchObject({ status: 'starting', deployment: 'acme/painter', model: 'acme/painter', urls: { get: `${fake.url}/predictions/${body.id}` } });
  });

  it('refuses a missing token and a body without a prompt', async () => {
    expect((await fetch(`${fake.url}/predictions/x`)).status).toBe(401);
    const invalid = await create('/models/a/b/predictions', { input: {} });
    expect([invalid.status, ((await invalid.json()) as { status: number }).status]).toEqual([422, 422]);
  });

  it('aborts on Cancel-After before start and cancels while running', async () => {
    const aborted = await createId('/models/a/b/predictions', { input: { prompt: 'deadline [fake:cold:500]' } }, { 'cancel-after': '30ms' });
    const running = await createId('/models/a/b/predictions', { input: { prompt: 'deadline [fake:latency:500]' } }, { 'cancel-after': '150ms' });
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(fake.prediction(aborted)).toMatchObject({ status: 'aborted', output: null });
    expect(fake.prediction(running)).toMatchObject({ status: 'canceled' });
  });

  it('shows output while still processing with [fake:early-output]', async () => {
    const id = await createId('/models/a/b/predictions', { input: { prompt: 'early [fake:early-output] [fake:latency:300]' } });
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(fake.prediction(id)).toMatchObject({ status: 'processing', output: `${fake.server.url}/files/${id}/0.png` });
  });

  it('sends start, output and completed webhooks as filtered', async () => {
    const webhook = `${receiver.url}/hook`;
    const all = await createId('/models/a/b/predictions', { input: { prompt: 'all' }, webhook, webhook_events_filter: ['start', 'completed'] });
    const byDefault = await createId('/models/a/b/predictions', { input: { prompt: 'default' }, webhook });
    await new Promise((resolve) => setTimeout(resolve, 250));
    const statuses = (id: string) => receiver.requests.map((r) => JSON.parse(r.body.toString())).filter((p) => p.id === id).map((p) => p.status);
    expect(statuses(all)).toEqual(['starting', 'succeeded']);
    expect(statuses(byDefault)).toEqual(['succeeded']);
  });
});

const create = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${fake.url}${path}`, { method: 'POST', headers: { ...auth, ...headers }, body: JSON.stringify(body) });

async function createId(path: string, body: unknown, headers: Record<string, string> = {}): Promise<string> {
  return ((await (await create(path, body, headers)).json()) as { id: string }).id;
}
