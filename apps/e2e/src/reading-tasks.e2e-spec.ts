import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, eventually, type Body } from './support/api';
import { flows, type Account } from './support/flows';
import { builtApp, freePort, waitOrTimeout, workspaceRoot } from './support/processes';
import { startSystem, type System } from './support/system';

// Generous: five services start one after another on a machine that other test runs load too.
jest.setTimeout(900_000);

let system: System;
const { createAccount, generate, waitForSettled, explained, eventsOf } = flows(() => system);

beforeAll(async () => {
  system = await startSystem('e2e_reading', {
    // Heartbeats every second so a slow render shows some; no rate limit: the tests poll.
    env: { STREAM_HEARTBEAT_SECONDS: '1', RATE_LIMIT_PER_MINUTE: '0' },
  });
});
afterAll(async () => {
  await system?.stop();
});

const list = (key: string, query = '') => call(system.gatewayUrl, 'GET', `/v1/generations${query}`, { key });
const fields = (body: Body): string[] => [...new Set<string>(body.errors.map((error: { field: string }) => error.field))].sort();
const ids = (page: Body): string[] => page.data.map((task: Body) => task.id);

/** The caller's whole list, once the read model shows `count` tasks matching `query`. */
async function listedOnce(key: string, count: number, query = ''): Promise<Body[]> {
  return eventually(async () => {
    const response = await list(key, `?limit=100${query}`);
    return response.status === 200 && response.body.data.length === count ? response.body.data : undefined;
  }, 300_000, `${count} tasks listed${query}`);
}

describe('GET /v1/generations', () => {
  let owner: Account;
  let other: Account;
  /** Every task of `owner`, newest first, once all have settled. */
  let all: Body[];
  let failedId: string;

  beforeAll(async () => {
    [owner, other] = await Promise.all([createAccount(30), createAccount(5)]);
    for (let batch = 0; batch < 5; batch++) {
      const created = await Promise.all(
        [0, 1, 2, 3, 4].map((i) => generate(owner.key, { model: 'local', prompt: `listed ${batch * 5 + i}`, size: '32x32' })),
      );
      expect(created.map((response) => response.status)).toEqual([202, 202, 202, 202, 202]);
    }
    const failed = await generate(owner.key, { model: 'local', prompt: 'this one fails [fail]', size: '32x32' });
    expect(failed.status).toBe(202);
    failedId = failed.body.id;
    const mine = await generate(other.key, { model: 'local', prompt: 'not the owner’s', size: '32x32' });
    expect(mine.status).toBe(202);

    await listedOnce(owner.key, 26);
    const unfinished = async () =>
      ((await list(owner.key, '?limit=100')).body.data as Body[]).filter((task) => !['completed', 'failed'].includes(task.status)).map((task) => task.id);
    all = await explained(unfinished, () =>
      eventually(async () => {
        const data = (await list(owner.key, '?limit=100')).body.data as Body[];
        return data.every((task) => ['completed', 'failed'].includes(task.status)) ? data : undefined;
      }, 300_000, 'every listed task to finish'),
    );
  });

  it('lists only the caller’s tasks, newest first, as task resources', () => {
    expect(all).toHaveLength(26);
    expect(all.every((task) => task.object === 'generation' && task.model === 'local')).toBe(true);
    const keys = all.map((task) => `${task.created_at}|${task.id}`);
    expect([...keys].sort().reverse()).toEqual(keys);
    expect(all.map((task) => task.prompt)).not.toContain('not the owner’s');
  });

  it('pages through 26 tasks by 10 with no duplicates and no gaps, ending with has_more false', async () => {
    const pages: Body[] = [];
    let cursor: string | null = null;
    do {
      const response = await list(owner.key, `?limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(response.status).toBe(200);
      expect(response.body.object).toBe('list');
      pages.push(response.body);
      cursor = response.body.next_cursor;
    } while (cursor !== null && pages.length < 10);
    expect(pages.map((page) => page.data.length)).toEqual([10, 10, 6]);
    expect(pages.map((page) => page.has_more)).toEqual([true, true, false]);
    expect(pages.flatMap(ids)).toEqual(all.map((task) => task.id));
  });

  it('defaults to 20 per page', async () => {
    const response = await list(owner.key);
    expect(response.status).toBe(200);
    expect(response.body.data).toHaveLength(20);
    expect(response.body.has_more).toBe(true);
  });

  it('filters by one status or a list of statuses', async () => {
    const failed = await list(owner.key, '?status=failed');
    expect(ids(failed.body)).toEqual([failedId]);
    expect(failed.body.has_more).toBe(false);
    const completed = await list(owner.key, '?status=completed&limit=100');
    expect(completed.body.data).toHaveLength(25);
    expect(completed.body.data.every((task: Body) => task.status === 'completed')).toBe(true);
    const both = await list(owner.key, '?status=completed,failed&limit=100');
    expect(ids(both.body)).toEqual(all.map((task) => task.id));
    const repeated = await list(owner.key, '?status=failed&status=canceled');
    expect(ids(repeated.body)).toEqual([failedId]);
    expect((await list(owner.key, '?status=queued')).body.data).toEqual([]);
  });

  it('filters by model', async () => {
    expect((await list(owner.key, '?model=local&limit=100')).body.data).toHaveLength(26);
    expect((await list(owner.key, '?model=gpt-image-1')).body.data).toEqual([]);
  });

  it('filters by creation time, both bounds exclusive, also while paging', async () => {
    const pivot = all[10].created_at as string;
    const newer = all.filter((task) => task.created_at > pivot).map((task) => task.id);
    const older = all.filter((task) => task.created_at < pivot).map((task) => task.id);

    expect(ids((await list(owner.key, `?limit=100&created_after=${pivot}`)).body)).toEqual(newer);
    expect(ids((await list(owner.key, `?limit=100&created_before=${pivot}`)).body)).toEqual(older);
    const window = await list(owner.key, `?limit=100&created_after=${all[20].created_at}&created_before=${all[2].created_at}`);
    expect(ids(window.body)).toEqual(
      all.filter((task) => task.created_at > all[20].created_at && task.created_at < all[2].created_at).map((task) => task.id),
    );

    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await list(owner.key, `?limit=3&created_before=${pivot}${cursor ? `&cursor=${cursor}` : ''}`);
      paged.push(...ids(response.body));
      cursor = response.body.next_cursor;
    } while (cursor !== null && paged.length < 100);
    expect(paged).toEqual(older);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    expect((await list(owner.key, `?created_after=${tomorrow}`)).body.data).toEqual([]);
  });

  it.each([
    ['limit=0', ['limit']],
    ['limit=101', ['limit']],
    ['limit=ten', ['limit']],
    ['status=bogus', ['status']],
    ['status=queued,bogus', ['status']],
    ['created_after=yesterday', ['created_after']],
    ['created_before=2026-11-24T10:00:00', ['created_before']],
    ['created_before=2026-02-30T00:00:00Z', ['created_before']],
    ['cursor=bm90LWEtY3Vyc29y', ['cursor']],
    ['limit=0&status=nope&created_after=later', ['created_after', 'limit', 'status']],
  ])('answers ?%s with a 400 problem naming the fields', async (query, expected) => {
    const response = await list(owner.key, `?${query}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body.code).toBe('invalid_request');
    expect(fields(response.body)).toEqual(expected);
  });

  it('refuses an unknown parameter', async () => {
    const response = await list(owner.key, '?sort=asc');
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid_request');
  });

  it('needs an API key', async () => {
    expect((await call(system.gatewayUrl, 'GET', '/v1/generations')).status).toBe(401);
  });

  // Last: it adds a task to the owner's list.
  it('keeps the next page where it was when a newer task is created meanwhile', async () => {
    const first = await list(owner.key, '?limit=5');
    const extra = await generate(owner.key, { model: 'local', prompt: 'meanwhile', size: '32x32' });
    expect(extra.status).toBe(202);
    await listedOnce(owner.key, 27);
    const second = await list(owner.key, `?limit=5&cursor=${first.body.next_cursor}`);
    expect(ids(second.body)).toEqual(all.slice(5, 10).map((task) => task.id));
  });
});

describe('GET /v1/generations/{id}/events', () => {
  let owner: Account;
  let stranger: Account;
  let task: Body;

  beforeAll(async () => {
    [owner, stranger] = await Promise.all([createAccount(5), createAccount(5)]);
    const created = await generate(owner.key, { model: 'local', prompt: 'a timeline', size: '32x32' });
    expect(created.status).toBe(202);
    task = await waitForSettled(owner.key, created.body.id, 300_000);
    expect(task).toMatchObject({ status: 'completed', credits: { state: 'captured' } });
  });

  it('shows the task’s whole history across its streams in commit order', async () => {
    const response = await call(system.gatewayUrl, 'GET', `/v1/generations/${task.id}/events`, { key: owner.key });
    expect(response.status).toBe(200);
    expect(response.body.object).toBe('list');
    const entries: Body[] = response.body.data;
    const types: string[] = entries.map((entry) => entry.type);
    const order = [
      'GenerationCreated',
      'CreditsReserved',
      'GenerationQueued',
      'ProviderJobSubmitted',
      'ProviderJobSucceeded',
      'AssetStored',
      'GenerationCompleted',
      'CreditsCaptured',
    ];
    const positions = order.map((type) => types.indexOf(type));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // Exactly what the event store holds for the task, in the same order.
    expect(entries.map((entry) => entry.id)).toEqual((await eventsOf(task.id)).map((event) => event.eventId));

    const stored = entries.find((entry) => entry.type === 'AssetStored');
    expect(stored).toMatchObject({
      stream: `asset-${task.assets[0].id}`,
      stream_version: 1,
      position: expect.stringMatching(/^\d+$/),
      recorded_at: expect.any(String),
      data: { asset_id: task.assets[0].id, task_id: task.id, sha256: task.assets[0].sha256 },
    });
    expect(stored.data).not.toHaveProperty('key');
    expect(stored.data).not.toHaveProperty('staging_key');
    const succeeded = entries.find((entry) => entry.type === 'ProviderJobSucceeded');
    expect(succeeded.data.outputs.every((output: Body) => !('staging_key' in output) && !('url' in output))).toBe(true);
    // Every key a client reads is snake_case, event data included.
    const camel = entries.flatMap((entry) => JSON.stringify(entry.data).match(/"[a-z0-9]+[A-Z][A-Za-z0-9]*":/g) ?? []);
    expect(camel).toEqual([]);
  });

  it('answers 404 for another account’s task, an unknown id and a malformed one, and 401 without a key', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const [id, key] of [
      [task.id, stranger.key],
      [missing, owner.key],
      ['not-a-uuid', owner.key],
    ] as const) {
      const response = await call(system.gatewayUrl, 'GET', `/v1/generations/${id}/events`, { key });
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('generation_not_found');
    }
    expect((await call(system.gatewayUrl, 'GET', `/v1/generations/${task.id}/events`)).status).toBe(401);
  });
});

interface SseEvent {
  readonly id?: string;
  readonly event?: string;
  readonly data: string;
}

interface SseResult {
  readonly status: number;
  readonly contentType: string | null;
  readonly events: SseEvent[];
  readonly comments: string[];
}

/** Reads a whole event stream (until the server ends it), parsing it per the SSE format. */
async function readStreamAt(
  baseUrl: string,
  path: string,
  key: string,
  headers: Record<string, string> = {},
  timeoutMs = 300_000,
): Promise<SseResult> {
  const response = await fetch(`${baseUrl}${path}`, {
    headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream', ...headers },
    signal: AbortSignal.timeout(timeoutMs),
  });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const flush = (block: string) => {
    const event: { id?: string; event?: string; data: string[] } = { data: [] };
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) comments.push(line.slice(1).trim());
      const match = /^(id|event|data|retry): ?(.*)$/.exec(line);
      if (match?.[1] === 'id') event.id = match[2];
      if (match?.[1] === 'event') event.event = match[2];
      if (match?.[1] === 'data') event.data.push(match[2]!);
    }
    if (event.data.length > 0) events.push({ ...event, data: event.data.join('\n') });
  };
  const reader = response.body?.getReader();
  for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader?.read()) {
    buffer += decoder.decode(chunk.value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      flush(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
    }
  }
  if (buffer.trim()) flush(buffer);
  return { status: response.status, contentType: response.headers.get('content-type'), events, comments };
}

const readStream = (path: string, key: string, headers: Record<string, string> = {}) =>
  readStreamAt(system.gatewayUrl, path, key, headers);

const LIFECYCLE = ['created', 'queued', 'processing', 'completed'];

describe('GET /v1/generations/{id}/stream', () => {
  let owner: Account;
  let stranger: Account;
  let taskId: string;
  let live: SseResult;

  beforeAll(async () => {
    [owner, stranger] = await Promise.all([createAccount(5), createAccount(5)]);
    // The local renderer holds the task in queued for 5 s: the stream is open well before it ends.
    const created = await generate(owner.key, { model: 'local', prompt: 'watched [slow:5000]', size: '32x32' });
    expect(created.status).toBe(202);
    taskId = created.body.id;
    live = await readStream(`/v1/generations/${taskId}/stream`, owner.key);
  });

  it('sends the current state, then each status change in order, and ends after the terminal one', async () => {
    expect(live.status).toBe(200);
    expect(live.contentType).toContain('text/event-stream');
    const statuses = live.events.map((event) => JSON.parse(event.data).status);
    expect(statuses.at(-1)).toBe('completed');
    expect(statuses).toContain('queued');
    // A suffix of the lifecycle: every change since connecting, none twice, none out of order.
    expect(statuses).toEqual(LIFECYCLE.slice(LIFECYCLE.length - statuses.length));
    expect(live.events.every((event) => event.event === 'generation.status')).toBe(true);
    const ids = live.events.map((event) => BigInt(event.id!));
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).toBe(true);
    const last = JSON.parse(live.events.at(-1)!.data);
    expect(last.assets).toHaveLength(1);
    // The stream folds the log; GET reads the generations read model, which trails it by a moment.
    const fetched = await eventually(async () => {
      const answer = await call(system.gatewayUrl, 'GET', `/v1/generations/${taskId}`, { key: owner.key });
      return (answer.body.assets as unknown[]).length > 0 ? answer : undefined;
    }, 30_000, 'the read model to show the stored asset');
    expect(last).toMatchObject({ id: taskId, object: 'generation', status: 'completed', assets: fetched.body.assets });
  });

  it('keeps the connection alive with heartbeat comments while nothing changes', () => {
    expect(live.comments).toContain('heartbeat');
  });

  it('identifies each status by the position of the event that set it, as the timeline shows', async () => {
    const timeline = await call(system.gatewayUrl, 'GET', `/v1/generations/${taskId}/events`, { key: owner.key });
    const byPosition = new Map<string, string>(timeline.body.data.map((entry: Body) => [entry.position, entry.type]));
    const types = live.events.map((event) => byPosition.get(event.id!));
    expect(types.at(-1)).toBe('GenerationCompleted');
    expect(types).toContain('GenerationQueued');
  });

  it('resumes after an intermediate Last-Event-ID with only the later statuses', async () => {
    const queued = live.events.find((event) => JSON.parse(event.data).status === 'queued')!;
    const resumed = await readStream(`/v1/generations/${taskId}/stream`, owner.key, { 'last-event-id': queued.id! });
    expect(resumed.status).toBe(200);
    expect(resumed.events.map((event) => JSON.parse(event.data).status)).toEqual(['processing', 'completed']);
    expect(resumed.events.map((event) => event.id)).toEqual(live.events.slice(-2).map((event) => event.id));
    const byQuery = await readStream(`/v1/generations/${taskId}/stream?last_event_id=${queued.id}`, owner.key);
    expect(byQuery.events.map((event) => event.id)).toEqual(resumed.events.map((event) => event.id));
  });

  it('ends at once with 204 and nothing sent again when the client has seen the terminal state', async () => {
    const terminal = live.events.at(-1)!.id!;
    const resumed = await readStream(`/v1/generations/${taskId}/stream`, owner.key, { 'last-event-id': terminal });
    expect(resumed.status).toBe(204);
    expect(resumed.events).toEqual([]);
  });

  it('sends the terminal state once to a client that connects after the end', async () => {
    const late = await readStream(`/v1/generations/${taskId}/stream`, owner.key);
    expect(late.events.map((event) => JSON.parse(event.data).status)).toEqual(['completed']);
    expect(late.events[0]!.id).toBe(live.events.at(-1)!.id);
  });

  it('refuses a Last-Event-ID it never sent', async () => {
    const response = await call(system.gatewayUrl, 'GET', `/v1/generations/${taskId}/stream`, {
      key: owner.key,
      headers: { 'last-event-id': 'yesterday' },
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'invalid_request', errors: [{ field: 'last_event_id' }] });
  });

  it('answers 404 for another account’s task or an unknown one, and 401 without a key', async () => {
    for (const [id, key] of [
      [taskId, stranger.key],
      ['00000000-0000-4000-8000-000000000000', owner.key],
      ['not-a-uuid', owner.key],
    ] as const) {
      const response = await call(system.gatewayUrl, 'GET', `/v1/generations/${id}/stream`, { key });
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('generation_not_found');
    }
    expect((await call(system.gatewayUrl, 'GET', `/v1/generations/${taskId}/stream`)).status).toBe(401);
    const listed = await call(system.gatewayUrl, 'GET', '/v1/generations?limit=100', { key: stranger.key });
    expect(listed.body.data.map((task: Body) => task.id)).not.toContain(taskId);
  });

  it('serves a client that hangs up mid-stream, and the next one too', async () => {
    const created = await generate(owner.key, { model: 'local', prompt: 'abandoned [slow:3000]', size: '32x32' });
    expect(created.status).toBe(202);
    const aborted = new AbortController();
    const response = await fetch(`${system.gatewayUrl}/v1/generations/${created.body.id}/stream`, {
      headers: { authorization: `Bearer ${owner.key}` },
      signal: aborted.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    await reader.read();
    aborted.abort();
    await reader.closed.catch(() => undefined);
    const after = await readStream(`/v1/generations/${created.body.id}/stream`, owner.key);
    expect(after.events.map((event) => JSON.parse(event.data).status).at(-1)).toBe('completed');
  });
});

describe('the three routes in the embedded single process (PGlite, in-process bus)', () => {
  let dataDir: string;
  let child: ChildProcess | undefined;
  let url: string;
  let key: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'darkroom-reading-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const started = spawn(process.execPath, [builtApp('darkroom')], {
      cwd: workspaceRoot,
      env: {
        PATH: process.env['PATH'],
        PORT: String(port),
        DARKROOM_DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        LOCAL_PROVIDER_TEST_MARKERS: 'true',
        STREAM_HEARTBEAT_SECONDS: '1',
        RATE_LIMIT_PER_MINUTE: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    let output = '';
    started.stdout?.on('data', (chunk) => (output += chunk));
    started.stderr?.on('data', (chunk) => (output += chunk));
    key = await eventually(async () => {
      if (started.exitCode !== null) throw new Error(`darkroom exited: ${output}`);
      return /Dev API key:\s+(\S+)/.exec(output)?.[1];
    }, 300_000, 'the embedded process to print its dev key');
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await waitOrTimeout(exited, 15_000);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('streams a task to completion, lists it and shows its timeline', async () => {
    const created = await call(url, 'POST', '/v1/generations', { key, body: { model: 'local', prompt: 'embedded [slow:3000]', size: '32x32' } });
    expect(created.status).toBe(202);
    const taskId: string = created.body.id;

    const live = await readStreamAt(url, `/v1/generations/${taskId}/stream`, key);
    const statuses = live.events.map((event) => JSON.parse(event.data).status);
    expect(statuses.at(-1)).toBe('completed');
    expect(statuses).toEqual(LIFECYCLE.slice(LIFECYCLE.length - statuses.length));
    expect(live.comments).toContain('heartbeat');
    const seen = await readStreamAt(url, `/v1/generations/${taskId}/stream`, key, { 'last-event-id': live.events.at(-1)!.id! });
    expect(seen.status).toBe(204);

    const listed = await eventually(async () => {
      const page = await call(url, 'GET', '/v1/generations?status=completed&limit=5', { key });
      return page.body?.data?.[0]?.id === taskId ? page.body : undefined;
    }, 60_000, 'the task in the list');
    expect(listed).toMatchObject({ object: 'list', has_more: false, next_cursor: null });

    const timeline = await call(url, 'GET', `/v1/generations/${taskId}/events`, { key });
    expect(timeline.status).toBe(200);
    const types: string[] = timeline.body.data.map((entry: Body) => entry.type);
    expect(types[0]).toBe('GenerationCreated');
    expect(types).toEqual(expect.arrayContaining(['CreditsReserved', 'AssetStored', 'GenerationCompleted']));
  });
});
