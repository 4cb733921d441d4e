import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { creditAccountStream, routingKey, type RecordedEvent } from '@darkroom/contracts';
import { PgEventStore } from '@darkroom/event-store';
import { RabbitMqBus } from '@darkroom/messaging';
import { call, eventually, type Body } from './support/api';
import { flows } from './support/flows';
import { AMQP_URL, startSystem, type System } from './support/system';

jest.setTimeout(360_000);

let system: System;

beforeAll(async () => {
  system = await startSystem('e2e_lifecycle');
});
afterAll(async () => {
  await system?.stop();
});

const { balance, expectBalance, createAccount, waitForTerminal, projectionChecksum, download } = flows(() => system);

const store = () => new PgEventStore(system.db.sql);

async function creditEventsOf(accountId: string, taskId: string): Promise<string[]> {
  const events = await store().readStream(creditAccountStream(accountId));
  return events.filter((e) => (e.data as { reservationId?: string }).reservationId === taskId).map((e) => e.type);
}

describe('one generation through five processes', () => {
  let account: { id: string; key: string };
  let taskId: string;
  let completed: Body;

  beforeAll(async () => {
    account = await createAccount(10);
  });

  it('accepts the request with 202 and the task in status created', async () => {
    const response = await call(system.gatewayUrl, 'POST', '/v1/generations', {
      key: account.key,
      body: { model: 'local', prompt: 'a lighthouse at dusk', size: '320x240', n: 2, seed: 7, metadata: { order: '42' } },
    });
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({
      object: 'generation',
      status: 'created',
      model: 'local',
      params: { size: '320x240', n: 2, seed: 7 },
      credits: { price: 2, state: 'pending' },
      error: null,
      assets: [],
      metadata: { order: '42' },
    });
    taskId = response.body.id;
  });

  it('reaches completed with timestamps for every state and two stored assets', async () => {
    completed = await waitForTerminal(account.key, taskId);
    expect(completed.status).toBe('completed');
    for (const field of ['created_at', 'queued_at', 'processing_at', 'completed_at']) {
      expect(Date.parse(completed[field])).not.toBeNaN();
    }
    expect(completed.failed_at).toBeNull();
    expect(completed.assets).toHaveLength(2);
    expect(completed.assets[0]).toMatchObject({ content_type: 'image/png', width: 320, height: 240 });
  });

  it('redirects to each asset, a valid PNG of the requested size whose sha256 matches', async () => {
    for (const asset of completed.assets) {
      const fetched = await download(account.key, asset.id);
      expect(fetched.redirect.headers.get('etag')).toBe(`"${asset.sha256}"`);
      expect(fetched.redirect.headers.get('cache-control')).toBe('private, max-age=240');
      // A presigned GET on our bucket, valid for ASSET_URL_TTL_SECONDS (default 300).
      expect(fetched.location).toContain('X-Amz-Signature=');
      expect(fetched.location).toContain('X-Amz-Expires=300');
      expect(fetched.status).toBe(200);
      expect(fetched.headers.get('content-type')).toBe('image/png');
      const meta = await sharp(fetched.bytes).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 320, 240]);
      expect(createHash('sha256').update(fetched.bytes).digest('hex')).toBe(asset.sha256);
      expect(fetched.bytes.length).toBe(asset.bytes);
      const cached = await call(system.gatewayUrl, 'GET', `/v1/assets/${asset.id}`, {
        key: account.key,
        headers: { 'if-none-match': fetched.redirect.headers.get('etag')! },
      });
      expect(cached.status).toBe(304);
      expect(cached.bytes).toHaveLength(0);
      // A cache revalidating its stored redirect gets a fresh presigned URL with the 304.
      expect(cached.headers.get('location')).toContain('X-Amz-Signature=');
    }
    expect(completed.assets[0].sha256).not.toBe(completed.assets[1].sha256);
  });

  it('reserved then captured the credits exactly once', async () => {
    const settled = await eventually(async () => {
      const types = await creditEventsOf(account.id, taskId);
      return types.includes('CreditsCaptured') ? types : undefined;
    }, 30_000, 'capture');
    expect(settled).toEqual(['CreditsReserved', 'CreditsCaptured']);
    await eventually(async () => ((await balance(account.id)).captured === 2 ? true : undefined), 30_000, 'balance');
    await expectBalance(account.id, { available: 8, reserved: 0, captured: 2 });
  });

  it('hides the task and its assets from another account (404)', async () => {
    const other = await createAccount(0);
    expect((await call(system.gatewayUrl, 'GET', `/v1/generations/${taskId}`, { key: other.key })).status).toBe(404);
    const asset = await call(system.gatewayUrl, 'GET', `/v1/assets/${completed.assets[0].id}`, { key: other.key });
    expect(asset.status).toBe(404);
    expect(asset.body).toMatchObject({ code: 'asset_not_found', status: 404 });
  });

  it('changes nothing when every event of the task is published again', async () => {
    const before = await snapshot(account.id, taskId);
    const events = await eventsOfTask(taskId);
    expect(events.length).toBeGreaterThanOrEqual(10);
    const bus = new RabbitMqBus({ url: AMQP_URL, exchange: system.env['AMQP_EXCHANGE']!, queuePrefix: system.env['AMQP_QUEUE_PREFIX']! });
    try {
      await bus.publish(events.map((event) => ({ ...event, routingKey: routingKey(event.streamId, event.type) })));
    } finally {
      await bus.close();
    }
    // Let every consumer drain the duplicates, then compare.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await snapshot(account.id, taskId)).toEqual(before);
  });
});

describe('credits', () => {
  it('answers a clearly unaffordable request with 402 before recording anything', async () => {
    const account = await createAccount(1);
    const response = await call(system.gatewayUrl, 'POST', '/v1/generations', {
      key: account.key,
      body: { model: 'local', prompt: 'too many', n: 3 },
    });
    expect(response.status).toBe(402);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body).toMatchObject({ code: 'insufficient_credits', status: 402 });
    const { rows } = await system.db.sql.query(`SELECT 1 FROM events WHERE metadata->>'accountId' = $1 AND type = 'GenerationCreated'`, [account.id]);
    expect(rows).toHaveLength(0);
  });

  it('fails the task with insufficient_credits and never captures when the ledger refuses', async () => {
    const account = await createAccount(1);
    // Both pass the fast check against the same balance; the ledger can reserve only one.
    const responses = await Promise.all(
      [1, 2].map((seed) =>
        call(system.gatewayUrl, 'POST', '/v1/generations', { key: account.key, body: { model: 'local', prompt: 'race', seed } }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual([202, 202]);
    const tasks = await Promise.all(responses.map((r) => waitForTerminal(account.key, r.body.id)));
    const failed = tasks.filter((task) => task.status === 'failed');
    const done = tasks.filter((task) => task.status === 'completed');
    expect(done).toHaveLength(1);
    expect(failed).toHaveLength(1);
    expect(failed[0].error).toMatchObject({ code: 'insufficient_credits' });
    expect(await creditEventsOf(account.id, failed[0].id)).toEqual(['CreditsReservationRejected']);
    await eventually(async () => ((await balance(account.id)).captured === 1 ? true : undefined), 30_000, 'capture');
    await expectBalance(account.id, { available: 0, reserved: 0, captured: 1 });
  });
});

/** Every event any service appended because of this task, across all its streams. */
async function eventsOfTask(taskId: string): Promise<RecordedEvent[]> {
  const { rows } = await system.db.sql.query<{ stream_id: string }>(
    `SELECT DISTINCT stream_id FROM events WHERE metadata->>'correlationId' = $1`,
    [taskId],
  );
  const streams = await Promise.all(rows.map((row) => store().readStream(row.stream_id)));
  return streams.flat().filter((event) => event.metadata.correlationId === taskId);
}

async function snapshot(accountId: string, taskId: string) {
  const { rows: counts } = await system.db.sql.query<{ stream_id: string; n: number }>(
    `SELECT stream_id, count(*)::int AS n FROM events
      WHERE metadata->>'correlationId' = $1 OR stream_id = $2 GROUP BY stream_id ORDER BY stream_id`,
    [taskId, creditAccountStream(accountId)],
  );
  const { rows: generation } = await system.db.sql.query(
    `SELECT status, credits_state, assets FROM generations WHERE id = $1`,
    [taskId],
  );
  return { counts, generation, balance: await balance(accountId) };
}

describe('provider failure', () => {
  it('fails the task with provider_error, keeps the detail and releases the credits', async () => {
    const account = await createAccount(3);
    const created = await call(system.gatewayUrl, 'POST', '/v1/generations', {
      key: account.key,
      body: { model: 'local', prompt: 'a cat [fail]', n: 2 },
    });
    expect(created.status).toBe(202);
    const task = await waitForTerminal(account.key, created.body.id);
    expect(task).toMatchObject({ status: 'failed', assets: [], error: { code: 'provider_error' } });
    expect(task.error.provider_detail).toMatchObject({ message: expect.stringContaining('[fail]') });
    await eventually(async () => ((await creditEventsOf(account.id, task.id)).length === 2 ? true : undefined), 30_000, 'release');
    expect(await creditEventsOf(account.id, task.id)).toEqual(['CreditsReserved', 'CreditsReleased']);
    await eventually(async () => ((await balance(account.id)).reserved === 0 ? true : undefined), 30_000, 'balance');
    await expectBalance(account.id, { available: 3, reserved: 0, captured: 0 });
  });
});

describe('bad input', () => {
  let account: { id: string; key: string };
  beforeAll(async () => {
    account = await createAccount(5);
  });

  it('refuses a request without a valid key with 401 and records nothing', async () => {
    const response = await call(system.gatewayUrl, 'POST', '/v1/generations', {
      key: 'drk_00000000_not-a-real-key-at-all-xxxx',
      body: { model: 'local', prompt: 'x' },
    });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ code: 'unauthorized' });
  });

  it('lists every invalid field in one 400 problem', async () => {
    const response = await call(system.gatewayUrl, 'POST', '/v1/generations', {
      key: account.key,
      body: { model: 'local', prompt: '', size: 'big', n: 0, surprise: true, metadata: { nested: { no: 1 } } },
    });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid_request');
    const fields = response.body.errors.map((error: { field: string }) => error.field).sort();
    expect(fields).toEqual(expect.arrayContaining(['metadata', 'n', 'prompt', 'size', 'surprise']));
  });

  it('refuses a size or count the model cannot serve, naming the field', async () => {
    const response = await call(system.gatewayUrl, 'POST', '/v1/generations', {
      key: account.key,
      body: { model: 'local', prompt: 'x', size: '4096x4096', n: 9 },
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'unsupported_by_model' });
    expect(response.body.errors.map((error: { field: string }) => error.field).sort()).toEqual(['n', 'size']);
  });

  it('refuses an unknown model and malformed JSON with their own codes', async () => {
    const unknown = await call(system.gatewayUrl, 'POST', '/v1/generations', {
      key: account.key,
      body: { model: 'nope', prompt: 'x' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ code: 'model_not_found' });
    const malformed = await fetch(`${system.gatewayUrl}/v1/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${account.key}`, 'content-type': 'application/json' },
      body: '{"model":',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: 'malformed_request' });
    const { rows } = await system.db.sql.query(`SELECT 1 FROM events WHERE metadata->>'accountId' = $1 AND type = 'GenerationCreated'`, [account.id]);
    expect(rows).toHaveLength(0);
  });
});

describe('crashes', () => {
  it('finishes every task exactly once when generation and storage are killed mid-flight', async () => {
    const account = await createAccount(10);
    const responses = await Promise.all(
      [1, 2, 3, 4, 5].map((seed) =>
        call(system.gatewayUrl, 'POST', '/v1/generations', { key: account.key, body: { model: 'local', prompt: 'crash', seed } }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    await Promise.all([system.restart('generation', 'SIGKILL'), system.restart('storage', 'SIGKILL')]);

    const tasks = await Promise.all(responses.map((r) => waitForTerminal(account.key, r.body.id)));
    expect(tasks.map((task) => task.status)).toEqual(Array(5).fill('completed'));
    for (const task of tasks) {
      await eventually(async () => ((await creditEventsOf(account.id, task.id)).length === 2 ? true : undefined), 30_000, 'capture');
      expect(await creditEventsOf(account.id, task.id)).toEqual(['CreditsReserved', 'CreditsCaptured']);
      const { rows } = await system.db.sql.query<{ type: string; n: number }>(
        `SELECT type, count(*)::int AS n FROM events WHERE metadata->>'correlationId' = $1 GROUP BY type ORDER BY type`,
        [task.id],
      );
      expect(Object.fromEntries(rows.map((row) => [row.type, row.n]))).toEqual({
        AssetStored: 1,
        CreditsCaptured: 1,
        CreditsReserved: 1,
        GenerationCompleted: 1,
        GenerationCreated: 1,
        GenerationOutputStored: 1,
        GenerationProcessing: 1,
        GenerationQueued: 1,
        ProviderJobSubmitted: 1,
        ProviderJobSucceeded: 1,
      });
    }
    await expectBalance(account.id, { available: 5, reserved: 0, captured: 5 });
    // The killed services ran the generations and assets projections: what they left equals a fresh rebuild.
    for (const name of ['generations', 'assets']) {
      const checksum = await projectionChecksum(name);
      expect({ name, match: checksum.match }).toEqual({ name, match: true });
      expect(checksum.rebuilt).toEqual(checksum.live);
    }
  });
});
