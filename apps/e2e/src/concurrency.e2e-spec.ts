import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakes, type Fakes } from './support/fakes';
import { flows, TERMINAL, type Account } from './support/flows';
import { workspaceRoot } from './support/processes';
import { startSystem, type System } from './support/system';

/**
 * A burst of 500 tasks against a provider that takes 2 s per image and allows 8 at once
 * (issue 3, "Done when"): every task completes, each is submitted and charged exactly once,
 * and darkroom never has more than 8 requests open at the provider.
 *
 * OpenAI's fake is synchronous, so its meter counts HTTP requests in flight: exactly what
 * the per-provider concurrency limit bounds. The floor is 500 × 2 s / 8 ≈ 125 s.
 */
jest.setTimeout(420_000);

const TASKS = 500;
/**
 * All 500 tasks on one account: every reservation and capture appends to the same
 * `credit-account-{id}` stream, the hottest stream darkroom has. (Before the event store
 * serialised writers per stream, this lost the optimistic race often enough to dead-letter
 * about 25 of the 500 tasks.)
 */
const ACCOUNTS = 1;
const PER_ACCOUNT = TASKS / ACCOUNTS;
const LIMIT = 8;
const LATENCY_MS = 2000;
const PRICE = 2;
const GRANT = PER_ACCOUNT * PRICE + 10;
/** How many POST /v1/generations run at once while submitting. */
const SUBMIT_PARALLEL = 25;
const SETTLE_TIMEOUT_MS = 330_000;

const shipped = JSON.parse(readFileSync(join(workspaceRoot, 'libs/providers/src/catalog/models.json'), 'utf8')) as {
  models: Record<string, unknown>[];
};
const gptImage = shipped.models.find((model) => model['id'] === 'gpt-image-1')!;
/**
 * gpt-image-1 with small images (less PNG work for the fake and storage on a 2-core machine),
 * one flat price, and a deadline far beyond the queueing a burst of 500 causes. The Images
 * API is synchronous: there is nothing to poll, so no poll settings matter here.
 */
const burstModel = {
  ...gptImage,
  id: 'gpt-image-burst',
  capabilities: { ...(gptImage['capabilities'] as object), sizes: ['256x256'], qualities: undefined },
  defaults: { size: '256x256' },
  pricing: { perImage: PRICE },
  deadlineSeconds: 900,
};
const catalog = { providers: { openai: { concurrency: LIMIT } }, models: [burstModel] };

let fakes: Fakes;
let system: System;
const { expectBalance, createAccount, generate } = flows(() => system);

beforeAll(async () => {
  fakes = await startFakes(catalog);
  fakes.openai.configure({ latencyMs: LATENCY_MS });
  system = await startSystem('e2e_concurrency', { env: (gatewayUrl) => fakes.env(gatewayUrl) });
});
afterAll(async () => {
  await system?.stop();
  await fakes?.stop();
});

const promptOf = (index: number) => `burst task ${String(index).padStart(3, '0')}`;

/** Runs `work` over `items`, at most `parallel` at once, keeping the order of results. */
async function inBatches<T, R>(items: readonly T[], parallel: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += parallel) {
    results.push(...(await Promise.all(items.slice(start, start + parallel).map(work))));
  }
  return results;
}

interface StateCount {
  status: string;
  credits_state: string;
  count: number;
}

/** Tasks of the accounts by status and credit state: one query over the read model. */
async function states(accountIds: readonly string[]): Promise<StateCount[]> {
  const { rows } = await system.db.sql.query<{ status: string; credits_state: string; count: string }>(
    `SELECT status, credits_state, count(*) AS count FROM generations WHERE account_id = ANY($1::uuid[]) GROUP BY 1, 2 ORDER BY 1, 2`,
    [accountIds],
  );
  return rows.map((row) => ({ ...row, count: Number(row.count) }));
}

/** Waits until every task is terminal with its credits resolved; fails with the last counts. */
async function waitForAllSettled(accountIds: readonly string[]): Promise<StateCount[]> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let last: StateCount[] = [];
  while (Date.now() < deadline) {
    last = await states(accountIds);
    const settled = last
      .filter((s) => TERMINAL.includes(s.status) && !['pending', 'reserved'].includes(s.credits_state))
      .reduce((sum, s) => sum + s.count, 0);
    if (settled === TASKS) return last;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`Not all ${TASKS} tasks settled within ${SETTLE_TIMEOUT_MS / 1000} s: ${JSON.stringify(last)}`);
}

describe(`a burst of ${TASKS} tasks against a provider limited to ${LIMIT} at once`, () => {
  let accounts: Account[];
  let ids: string[];
  /** How many requests the fake had open, sampled every 100 ms while the burst ran. */
  const samples: number[] = [];

  beforeAll(async () => {
    accounts = await inBatches(Array.from({ length: ACCOUNTS }), 5, () => createAccount(GRANT));
    const started = Date.now();
    const sampler = setInterval(() => samples.push(fakes.openai.meter.active), 100);
    try {
      const indexes = Array.from({ length: TASKS }, (_, index) => index);
      const created = await inBatches(indexes, SUBMIT_PARALLEL, (index) =>
        generate(accounts[index % ACCOUNTS].key, { model: burstModel.id, prompt: promptOf(index) }),
      );
      const submittedMs = Date.now() - started;
      const refused = created.filter((response) => response.status !== 202);
      if (refused.length > 0) throw new Error(`${refused.length} submits refused, e.g. ${refused[0].status} ${JSON.stringify(refused[0].body)}`);
      ids = created.map((response) => response.body.id as string);
      await waitForAllSettled(accounts.map((account) => account.id));
      const busy = samples.filter((active) => active > 0);
      const mean = busy.reduce((sum, active) => sum + active, 0) / Math.max(1, busy.length);
      console.log(
        `${TASKS} tasks submitted in ${(submittedMs / 1000).toFixed(1)} s, all settled after ${((Date.now() - started) / 1000).toFixed(1)} s ` +
          `(floor ${(TASKS * LATENCY_MS) / LIMIT / 1000} s); provider peak ${fakes.openai.meter.peak}, mean in flight while busy ${mean.toFixed(2)}`,
      );
    } finally {
      clearInterval(sampler);
    }
  });

  it('completes every task: none failed, none lost, each with its image stored', async () => {
    expect(new Set(ids).size).toBe(TASKS);
    const { rows } = await system.db.sql.query<{ id: string; status: string; credits_state: string; assets: number; attempts: number }>(
      `SELECT id, status, credits_state, jsonb_array_length(assets) AS assets, attempts FROM generations WHERE account_id = ANY($1::uuid[])`,
      [accounts.map((account) => account.id)],
    );
    expect(rows).toHaveLength(TASKS);
    expect(new Set(rows.map((row) => row.id))).toEqual(new Set(ids));
    const off = rows.filter((row) => row.status !== 'completed' || row.credits_state !== 'captured' || row.assets !== 1 || row.attempts !== 1);
    expect(off).toEqual([]);
  });

  it(`never has more than ${LIMIT} requests open at the provider, and does use the room`, () => {
    expect(fakes.openai.meter.peak).toBeLessThanOrEqual(LIMIT);
    // Not vacuous: the burst really ran in parallel (with 2 s per image it fills every slot).
    expect(fakes.openai.meter.peak).toBeGreaterThan(1);
    expect(fakes.openai.meter.active).toBe(0);
  });

  it('submits each task to the provider exactly once', () => {
    const submits = fakes.openai.server.received('POST', /^\/v1\/images\/generations$/);
    const perPrompt = new Map<string, number>();
    for (const request of submits) {
      const prompt = (JSON.parse(request.body.toString('utf8')) as { prompt: string }).prompt;
      perPrompt.set(prompt, (perPrompt.get(prompt) ?? 0) + 1);
    }
    expect([...perPrompt.entries()].filter(([, count]) => count !== 1)).toEqual([]);
    expect(new Set(perPrompt.keys())).toEqual(new Set(Array.from({ length: TASKS }, (_, index) => promptOf(index))));
    expect(submits).toHaveLength(TASKS);
  });

  it('records one submit, one success, one reservation and one capture per task, and charges exactly 500 × price', async () => {
    const { rows } = await system.db.sql.query<{ task: string; type: string; count: string }>(
      `SELECT coalesce(data->>'reservationId', data->>'taskId') AS task, type, count(*) AS count
         FROM events
        WHERE type IN ('ProviderJobSubmitted', 'ProviderJobSucceeded', 'GenerationCompleted', 'CreditsReserved', 'CreditsCaptured', 'CreditsReleased')
        GROUP BY 1, 2`,
    );
    const byTask = new Map<string, Record<string, number>>();
    for (const row of rows) byTask.set(row.task, { ...byTask.get(row.task), [row.type]: Number(row.count) });
    const once = { ProviderJobSubmitted: 1, ProviderJobSucceeded: 1, GenerationCompleted: 1, CreditsReserved: 1, CreditsCaptured: 1 };
    const wrong = ids.filter((id) => !matches(byTask.get(id), once));
    expect(wrong.map((id) => ({ id, events: byTask.get(id) }))).toEqual([]);
    expect(byTask.size).toBe(TASKS);

    const captured = await system.db.sql.query<{ amount: string; count: string }>(
      `SELECT coalesce(sum((data->>'amount')::int), 0) AS amount, count(*) AS count FROM events WHERE type = 'CreditsCaptured'`,
    );
    expect(Number(captured.rows[0].count)).toBe(TASKS);
    expect(Number(captured.rows[0].amount)).toBe(TASKS * PRICE);
    for (const account of accounts) {
      await expectBalance(account.id, { available: GRANT - PER_ACCOUNT * PRICE, reserved: 0, captured: PER_ACCOUNT * PRICE });
    }
  });
});

/** Exactly these event counts, and nothing else (a CreditsReleased would be a second settlement). */
function matches(counts: Record<string, number> | undefined, expected: Record<string, number>): boolean {
  if (!counts) return false;
  const keys = new Set([...Object.keys(counts), ...Object.keys(expected)]);
  return [...keys].every((key) => counts[key] === expected[key]);
}
