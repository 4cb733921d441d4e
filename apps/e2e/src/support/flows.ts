import { expect } from '@jest/globals';
import type { RecordedEvent } from '@darkroom/contracts';
import { PgEventStore } from '@darkroom/event-store';
import { call, eventually, type ApiResponse, type Body } from './api';
import { describeTask } from './diagnosis';
import type { System } from './system';

/** Steps every end-to-end test takes through the public API, bound to one running system. */
export interface Account {
  readonly id: string;
  readonly key: string;
}

export const TERMINAL = ['completed', 'failed', 'canceled'];

/** An asset fetched the way a client does: the gateway's 302, then the bytes from its Location. */
export interface Download {
  /** The gateway's answer (302, with ETag, Cache-Control and Location). */
  readonly redirect: ApiResponse;
  readonly location: string;
  readonly status: number;
  readonly headers: Headers;
  readonly bytes: Buffer;
}

/**
 * `GET /v1/assets/{id}` with the key, asserting the 302, then a plain GET of the Location
 * without the key (a presigned or public URL needs none).
 */
export async function downloadAsset(baseUrl: string, key: string, assetId: string): Promise<Download> {
  const redirect = await call(baseUrl, 'GET', `/v1/assets/${assetId}`, { key });
  expect(redirect.status).toBe(302);
  const location = redirect.headers.get('location');
  expect(location).toBeTruthy();
  const response = await fetch(location!);
  const bytes = Buffer.from(await response.arrayBuffer());
  return { redirect, location: location!, status: response.status, headers: response.headers, bytes };
}

export function flows(system: () => System) {
  const url = () => system().gatewayUrl;

  async function balance(accountId: string) {
    const { rows } = await system().db.sql.query<{ available: string; reserved: string; captured: string }>(
      `SELECT available, reserved, captured FROM credit_balances WHERE account_id = $1`,
      [accountId],
    );
    return {
      available: Number(rows[0]?.available ?? 0),
      reserved: Number(rows[0]?.reserved ?? 0),
      captured: Number(rows[0]?.captured ?? 0),
    };
  }

  /**
   * Asserts the balance projection shows `expected`, waiting for it first: it trails the
   * ledger (and the task's own credit state), so a settled task's effect lands a moment later.
   */
  async function expectBalance(accountId: string, expected: Partial<Awaited<ReturnType<typeof balance>>>, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const matches = (seen: Record<string, number>) => Object.entries(expected).every(([field, value]) => seen[field] === value);
    let seen = await balance(accountId);
    while (!matches(seen) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      seen = await balance(accountId);
    }
    expect(seen).toMatchObject(expected);
  }

  async function createAccount(credits: number): Promise<Account> {
    const created = await call(url(), 'POST', '/admin/accounts', { key: system().adminKey, body: { name: 'e2e' } });
    expect(created.status).toBe(201);
    const { id, api_key: key } = created.body;
    if (credits > 0) {
      const granted = await call(url(), 'POST', `/admin/accounts/${id}/credits`, {
        key: system().adminKey,
        body: { amount: credits, reason: 'e2e' },
      });
      expect(granted.status).toBe(201);
      // The fast 402 check reads the balance projection: wait until it has the grant.
      await eventually(async () => ((await balance(id)).available === credits ? true : undefined), 30_000, 'balance projection');
    }
    return { id, key };
  }

  const generate = (key: string, body: Record<string, unknown>) => call(url(), 'POST', '/v1/generations', { key, body });

  async function waitForTerminal(key: string, taskId: string, timeoutMs = 120_000): Promise<Body> {
    return explained([taskId], () =>
      eventually(async () => {
        const task = await call(url(), 'GET', `/v1/generations/${taskId}`, { key });
        return TERMINAL.includes(task.body?.status) ? task.body : undefined;
      }, timeoutMs, `task ${taskId} to finish`),
    );
  }

  /** Terminal, and its credits resolved (captured, released or never reserved): the ledger runs after the task ends. */
  async function waitForSettled(key: string, taskId: string, timeoutMs = 240_000): Promise<Body> {
    return explained([taskId], () =>
      eventually(async () => {
        const task = await call(url(), 'GET', `/v1/generations/${taskId}`, { key });
        const settled = TERMINAL.includes(task.body?.status) && !['pending', 'reserved'].includes(task.body?.credits?.state);
        return settled ? task.body : undefined;
      }, timeoutMs, `task ${taskId} to settle`),
    );
  }

  /** Runs `wait`; when it fails, the error carries what the database knows about the tasks. */
  async function explained<T>(taskIds: readonly string[] | (() => Promise<string[]>), wait: () => Promise<T>): Promise<T> {
    try {
      return await wait();
    } catch (error) {
      const ids = typeof taskIds === 'function' ? await taskIds().catch(() => []) : taskIds;
      const facts = await Promise.all(ids.slice(0, 5).map((id) => describeTask(system().db.sql, id).catch((e: unknown) => `(${String(e)})`)));
      throw new Error(`${(error as Error).message}\n${facts.join('\n')}`);
    }
  }

  /** `GET /admin/projections/{name}/checksum` once the hosting service answered: live table against a fresh rebuild. */
  async function projectionChecksum(name: string): Promise<Body> {
    return eventually(async () => {
      const response = await call(url(), 'GET', `/admin/projections/${name}/checksum?wait=60`, { key: system().adminKey });
      return response.status === 200 ? response.body : undefined;
    }, 600_000, `the checksum of ${name}`);
  }

  /** Every event of the task (all its streams), in commit order. */
  const eventsOf = (taskId: string): Promise<RecordedEvent[]> => new PgEventStore(system().db.sql).readCorrelated(taskId);

  /** `POST /v1/uploads` as a browser form would send it; the declared type is the client's claim only. */
  async function upload(key: string, bytes: Buffer, filename = 'image.png', declaredType = 'image/png'): Promise<ApiResponse> {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)], { type: declaredType }), filename);
    const response = await fetch(`${url()}/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
    const raw = Buffer.from(await response.arrayBuffer());
    const type = response.headers.get('content-type') ?? '';
    const body = type.includes('json') ? JSON.parse(raw.toString()) : undefined;
    return { status: response.status, headers: response.headers, bytes: raw, body };
  }

  /** The asset's bytes through the gateway's redirect; see `downloadAsset`. */
  const download = (key: string, assetId: string): Promise<Download> => downloadAsset(url(), key, assetId);

  return {
    balance,
    expectBalance,
    createAccount,
    generate,
    waitForTerminal,
    waitForSettled,
    explained,
    projectionChecksum,
    eventsOf,
    upload,
    download,
  };
}
