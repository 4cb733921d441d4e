import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { call, eventually, type Body } from './support/api';
import { flows } from './support/flows';
import { freePort } from './support/processes';
import { startSystem, type System } from './support/system';

/**
 * Batches (issue 18, item 3): a batch's whole price is reserved in one ledger decision, all or
 * nothing; the same Idempotency-Key replays it; canceling releases exactly the share of the
 * items that had not ended. The local model costs 1 credit per image.
 */
jest.setTimeout(900_000);

let system: System;
const { createAccount, expectBalance } = flows(() => system);
/** Webhooks the account's endpoint received: path, webhook-id, parsed body. */
const received: { path: string; id: string; body: Body }[] = [];
let receiver: Server;
let receiverUrl: string;

beforeAll(async () => {
  const port = await freePort();
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '/', id: String(request.headers['webhook-id']), body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(port, '127.0.0.1', () => resolve()));
  receiverUrl = `http://127.0.0.1:${port}`;
  system = await startSystem('e2e_batches', { env: { RATE_LIMIT_PER_MINUTE: '1000000', OUTBOUND_WEBHOOK_HTTP_HOSTS: `127.0.0.1:${port}` } });
});
afterAll(async () => {
  await system?.stop();
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
});

const items = (count: number, tag: string) =>
  Array.from({ length: count }, (_, i) => ({ custom_id: `${tag}-${i}`, model: 'local', prompt: `${tag} ${i}`, size: '64x64', seed: i }));

const postBatch = (key: string, body: unknown, idempotencyKey?: string) =>
  call(system.gatewayUrl, 'POST', '/v1/batches', { key, body, ...(idempotencyKey ? { headers: { 'idempotency-key': idempotencyKey } } : {}) });

const getBatch = (key: string, id: string) => call(system.gatewayUrl, 'GET', `/v1/batches/${id}`, { key });

async function waitForEnd(key: string, id: string): Promise<Body> {
  return eventually(async () => {
    const batch = await getBatch(key, id);
    return batch.body?.status === 'ended' ? batch.body : undefined;
  }, 600_000, `batch ${id} to end`);
}

async function creditEvents(accountId: string) {
  const { rows } = await system.db.sql.query<{ type: string; n: number; transactions: number }>(
    `SELECT type, count(*)::int AS n, count(DISTINCT transaction_id)::int AS transactions FROM events WHERE stream_id = $1 GROUP BY type`,
    [`credit-account-${accountId}`],
  );
  return Object.fromEntries(rows.map((row) => [row.type, { n: row.n, transactions: row.transactions }]));
}

async function tasksOf(accountId: string): Promise<number> {
  const { rows } = await system.db.sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM events WHERE type = 'GenerationCreated' AND data->'request'->>'accountId' = $1`,
    [accountId],
  );
  return rows[0]!.n;
}

describe('batches', () => {
  it('refuses a 200-item batch with credits for 150 with a 402 and creates nothing', async () => {
    const account = await createAccount(150);
    const refused = await postBatch(account.key, { items: items(200, 'short') });
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({ code: 'insufficient_credits', price: 200, available: 150 });
    expect(await tasksOf(account.id)).toBe(0);
    expect((await creditEvents(account.id)).CreditsReserved).toBeUndefined();
    await expectBalance(account.id, { available: 150, reserved: 0 });
  });

  it('runs all 200 items on one reservation decision, and the same Idempotency-Key replays the batch', async () => {
    const account = await createAccount(250);
    const endpoint = await call(system.gatewayUrl, 'POST', '/v1/webhook_endpoints', {
      key: account.key,
      body: { url: `${receiverUrl}/batches`, events: ['batch.ended'] },
    });
    expect(endpoint.status).toBe(201);
    const key = randomUUID();
    const created = await postBatch(account.key, { items: items(200, 'full') }, key);
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ object: 'batch', status: 'in_progress', price: 200, counts: { total: 200 } });
    expect(created.body.items.slice(0, 2).map((item: Body) => item.custom_id)).toEqual(['full-0', 'full-1']);

    const again = await postBatch(account.key, { items: items(200, 'full') }, key);
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(created.body.id);
    const reused = await postBatch(account.key, { items: items(10, 'other') }, key);
    expect(reused).toMatchObject({ status: 422, body: { code: 'idempotency_key_reused' } });

    const ended = await waitForEnd(account.key, created.body.id);
    expect(ended.counts).toMatchObject({ total: 200, completed: 200, failed: 0, canceled: 0 });
    expect(ended.items.every((item: Body) => item.assets.length === 1)).toBe(true);
    expect(await tasksOf(account.id)).toBe(200);
    // One decision: the batch's event and its 200 reservations were appended by one transaction.
    const events = await creditEvents(account.id);
    expect(events.CreditsBatchReserved).toEqual({ n: 1, transactions: 1 });
    expect(events.CreditsReserved).toEqual({ n: 200, transactions: 1 });
    await expectBalance(account.id, { available: 50, reserved: 0, captured: 200 });
    // One webhook when the batch ended, through the account's endpoint, and none per task (not subscribed).
    const ends = await eventually(async () => {
      const at = received.filter((request) => request.path === '/batches');
      return at.length > 0 ? at : undefined;
    }, 60_000, 'the batch.ended webhook');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(received.filter((request) => request.path === '/batches')).toHaveLength(1);
    expect(ends[0]!.body).toMatchObject({
      type: 'batch.ended',
      data: { id: created.body.id, object: 'batch', status: 'ended', counts: { total: 200, completed: 200, failed: 0, canceled: 0 } },
    });
    expect(ends[0]!.id).toMatch(/^msg_/);
  });

  it('cancels the items not ended yet, releasing exactly their share', async () => {
    const account = await createAccount(200);
    const created = await postBatch(account.key, { items: items(200, 'cancel') });
    expect(created.status).toBe(202);
    await eventually(async () => {
      const batch = await getBatch(account.key, created.body.id);
      return batch.body.counts.completed >= 5 ? batch.body : undefined;
    }, 300_000, 'some items to complete');
    const canceled = await call(system.gatewayUrl, 'POST', `/v1/batches/${created.body.id}/cancel`, { key: account.key });
    expect(canceled.status).toBe(200);
    const ended = await waitForEnd(account.key, created.body.id);
    const { completed, canceled: canceledCount, failed } = ended.counts;
    expect(failed).toBe(0);
    expect(completed + canceledCount).toBe(200);
    expect(canceledCount).toBeGreaterThan(0);
    // Every item's credit is either captured (it ended first) or released (it was canceled).
    await expectBalance(account.id, { reserved: 0, captured: completed, available: 200 - completed });
    const { rows } = await system.db.sql.query<{ total: number }>(
      `SELECT coalesce(sum((data->>'amount')::int), 0)::int AS total FROM events WHERE stream_id = $1 AND type = 'CreditsReleased'`,
      [`credit-account-${account.id}`],
    );
    expect(rows[0]!.total).toBe(canceledCount);
  });

  it("refuses another account's batch, a malformed one and an empty one", async () => {
    const owner = await createAccount(5);
    const other = await createAccount(5);
    const created = await postBatch(owner.key, { items: items(2, 'mine') });
    expect(created.status).toBe(202);
    expect((await getBatch(other.key, created.body.id)).status).toBe(404);
    expect((await call(system.gatewayUrl, 'POST', `/v1/batches/${created.body.id}/cancel`, { key: other.key })).status).toBe(404);
    expect((await getBatch(owner.key, 'nope')).status).toBe(404);
    expect((await postBatch(owner.key, { items: [] })).status).toBe(400);
    expect((await postBatch(owner.key, { items: [{ model: 'local' }] })).status).toBe(400);
    expect((await postBatch(owner.key, { items: items(1001, 'big') })).status).toBe(400);
  });
});
