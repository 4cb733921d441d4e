import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { call, eventually } from './support/api';
import { startFakes, type Fakes } from './support/fakes';
import { flows, type Account } from './support/flows';
import { workspaceRoot } from './support/processes';
import { startSystem, type System } from './support/system';

/**
 * Fair, prioritised scheduling (issue 17, decision 0024) on the built system. Fairness runs on
 * OpenAI's fake, lanes on Gemini's (both synchronous: one request in flight is one provider
 * slot), each at concurrency 4 and 200 ms per image; two providers are two queues. "Starts"
 * are the requests a fake received, in arrival order; a task is submitted to darkroom's
 * provider queue when its `GenerationQueued` event is recorded.
 *
 * To keep the run short a fake is held slow (3 s per image) while a burst is being submitted,
 * so the burst is all waiting when the measurement starts, then set back to 200 ms; only the
 * part of each backlog a measurement needs is worked off, the rest is left when the system
 * stops (the lanes' by Gemini's fake no longer answering).
 */
jest.setTimeout(900_000);

const LIMIT = 4;
const FAST_MS = 200;
const HELD_MS = 3000;
/** The aging bound of decision 0024 (LANE_OFFSET.batch): one account of weight 1 sends the interactive work. */
const LANE_OFFSET_BATCH = 100;

const shipped = JSON.parse(readFileSync(join(workspaceRoot, 'libs/providers/src/catalog/models.json'), 'utf8')) as {
  models: Record<string, unknown>[];
};
const gptImage = shipped.models.find((model) => model['id'] === 'gpt-image-1')!;
const nanoBanana = shipped.models.find((model) => model['id'] === 'nano-banana')!;
/** Fairness runs on OpenAI's fake, lanes on Gemini's (also synchronous): two providers, two queues. */
const model = {
  ...gptImage,
  id: 'gpt-image-fair',
  capabilities: { ...(gptImage['capabilities'] as object), sizes: ['256x256'], qualities: undefined },
  defaults: { size: '256x256' },
  pricing: { perImage: 1 },
  deadlineSeconds: 1800,
};
const lanesModel = { ...nanoBanana, id: 'nano-banana-lanes', pricing: { perImage: 1 }, deadlineSeconds: 1800 };
const catalog = { providers: { openai: { concurrency: LIMIT }, gemini: { concurrency: LIMIT } }, models: [model, lanesModel] };

let fakes: Fakes;
let system: System;
const { createAccount, generate } = flows(() => system);
const admin = (method: string, path: string, body?: unknown) => call(system.gatewayUrl, method, path, { key: system.adminKey, body });

beforeAll(async () => {
  fakes = await startFakes(catalog);
  fakes.openai.configure({ latencyMs: FAST_MS });
  fakes.gemini.configure({ latencyMs: FAST_MS });
  system = await startSystem('e2e_scheduling', { env: (gatewayUrl) => fakes.env(gatewayUrl) });
});
afterAll(async () => {
  await system?.stop();
  await fakes?.stop();
});

/** A start: one request the provider received, by the prompt that names its task. */
interface Start {
  readonly prompt: string;
  readonly at: number;
}

type FakeName = 'openai' | 'gemini';

const fakeRoutes: Record<FakeName, RegExp> = { openai: /^\/v1\/images\/generations$/, gemini: /^\/v1beta\/models\/[^/]+:generateContent$/ };

interface RequestBody {
  readonly prompt?: string;
  readonly contents?: readonly { readonly parts: readonly { readonly text?: string }[] }[];
}

function starts(fake: FakeName = 'openai'): Start[] {
  return fakes[fake].server.received('POST', fakeRoutes[fake]).map((request) => {
    const body = JSON.parse(request.body.toString('utf8')) as RequestBody;
    return { prompt: body.prompt ?? body.contents?.[0]?.parts[0]?.text ?? '', at: request.at };
  });
}

/** Runs `work` over `items`, at most `parallel` at once. */
async function inBatches<T, R>(items: readonly T[], parallel: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += parallel) results.push(...(await Promise.all(items.slice(start, start + parallel).map(work))));
  return results;
}

/** Submits one task per prompt; every one must be accepted. Returns the task ids by prompt. */
async function submit(
  account: Account,
  prompts: readonly string[],
  options: { priority?: string; parallel?: number; model?: string } = {},
): Promise<Map<string, string>> {
  const created = await inBatches(prompts, options.parallel ?? 20, async (prompt) => {
    const response = await generate(account.key, { model: options.model ?? model.id, prompt, ...(options.priority ? { priority: options.priority } : {}) });
    if (response.status !== 202) throw new Error(`${prompt}: ${response.status} ${JSON.stringify(response.body)}`);
    return [prompt, response.body.id as string] as const;
  });
  return new Map(created);
}

/** Waits until all these tasks are in the provider work table (queued, or already further). */
async function waitQueued(taskIds: readonly string[]): Promise<void> {
  await eventually(async () => {
    const { rows } = await system.db.sql.query<{ count: string }>(`SELECT count(*) AS count FROM provider_jobs WHERE task_id = ANY($1::uuid[])`, [taskIds]);
    return Number(rows[0].count) === taskIds.length ? true : undefined;
  }, 300_000, `${taskIds.length} tasks in the provider work table`);
}

/** When each task's GenerationQueued was recorded (ms), from the events. */
async function queuedAt(taskIds: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await system.db.sql.query<{ task_id: string; recorded_at: Date }>(
    `SELECT data->>'taskId' AS task_id, recorded_at FROM events WHERE type = 'GenerationQueued' AND data->>'taskId' = ANY($1::text[])`,
    [taskIds],
  );
  return new Map(rows.map((row) => [row.task_id, new Date(row.recorded_at).getTime()]));
}

async function waitStarted(prompt: string, fake: FakeName = 'openai', timeoutMs = 120_000): Promise<Start> {
  return eventually(async () => starts(fake).find((start) => start.prompt === prompt), timeoutMs, `${prompt} to start at the provider`);
}

/** Holds the provider (3 s per image) while `work` runs, so what it submits is all waiting afterwards. */
async function whileHeld<T>(work: () => Promise<T>, fake: FakeName = 'openai'): Promise<T> {
  fakes[fake].configure({ latencyMs: HELD_MS });
  try {
    return await work();
  } finally {
    fakes[fake].configure({ latencyMs: FAST_MS });
  }
}

describe('priority lanes', () => {
  it("refuses a priority above the account's maximum, and the admin raises the maximum", async () => {
    const account = await createAccount(5);
    const refused = await generate(account.key, { model: model.id, prompt: 'too eager', priority: 'interactive' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'priority_not_allowed', max_priority: 'standard' });
    const invalid = await generate(account.key, { model: model.id, prompt: 'made up', priority: 'urgent' });
    expect(invalid).toMatchObject({ status: 400, body: { code: 'invalid_request', errors: [{ field: 'priority' }] } });

    const raised = await admin('PATCH', `/admin/accounts/${account.id}`, { max_priority: 'interactive', scheduling_weight: 3 });
    expect(raised).toMatchObject({ status: 200, body: { max_priority: 'interactive', scheduling_weight: 3, retention_days: null } });
    expect((await admin('GET', `/admin/accounts/${account.id}`)).body).toMatchObject({ max_priority: 'interactive', scheduling_weight: 3 });
    expect((await admin('PATCH', `/admin/accounts/${account.id}`, { scheduling_weight: 0 })).status).toBe(400);
    expect((await admin('PATCH', `/admin/accounts/${account.id}`, { max_priority: 'vip' })).status).toBe(400);

    const accepted = await generate(account.key, { model: model.id, prompt: 'eager now', priority: 'interactive' });
    expect(accepted.status).toBe(202);
    expect(accepted.body.priority).toBe('interactive');
    // The lane travels in the events, so a replay schedules the task the same way.
    const lanesInEvents = await eventually(async () => {
      const { rows } = await system.db.sql.query<{ type: string; priority: string }>(
        `SELECT type, data->'request'->>'priority' AS priority FROM events
          WHERE type IN ('GenerationCreated', 'GenerationQueued') AND data->>'taskId' = $1 ORDER BY global_position`,
        [accepted.body.id],
      );
      return rows.length === 2 ? rows : undefined;
    }, 60_000, 'GenerationQueued');
    expect(lanesInEvents).toEqual([
      { type: 'GenerationCreated', priority: 'interactive' },
      { type: 'GenerationQueued', priority: 'interactive' },
    ]);
    expect((await generate(account.key, { model: model.id, prompt: 'plain' })).body.priority).toBe('standard');
  });

  it('starts an interactive task next behind 500 batch tasks of the same account; batch still starts within the bound under steady interactive work', async () => {
    const account = await createAccount(1100);
    expect((await admin('PATCH', `/admin/accounts/${account.id}`, { max_priority: 'interactive' })).status).toBe(200);
    const lanes = (priority: string) => ({ priority, model: lanesModel.id });
    const batchPrompts = Array.from({ length: 500 }, (_, i) => `lane batch ${String(i).padStart(3, '0')}`);
    const interactivePrompt = 'lane interactive first';
    const batch = await whileHeld(async () => {
      const ids = await submit(account, batchPrompts, lanes('batch'));
      await waitQueued([...ids.values()]);
      // Every slot is now busy for up to 3 s with batch work; the interactive task queues behind 500.
      const started = starts('gemini').length;
      const interactive = await submit(account, [interactivePrompt], lanes('interactive'));
      await waitQueued([...interactive.values()]);
      expect(starts('gemini').length - started).toBeLessThanOrEqual(LIMIT);
      return { ids, startedBefore: starts('gemini').length };
    }, 'gemini');
    // The next start after it was queued is the interactive task (later slots may be batch again).
    await waitStarted(interactivePrompt, 'gemini');
    const next = starts('gemini').slice(batch.startedBefore);
    expect(next[0]?.prompt).toBe(interactivePrompt);

    // Steady interactive work: 120 waiting (more than the bound, so strict priority would starve
    // batch), and more arriving all along while the measurement runs.
    await whileHeld(async () => {
      const ids = await submit(account, Array.from({ length: 120 }, (_, i) => `lane stream pre ${String(i).padStart(3, '0')}`), lanes('interactive'));
      await waitQueued([...ids.values()]);
    }, 'gemini');
    // Measured from here, past the slots that may have been claimed while the 120 were arriving.
    const streamStart = starts('gemini').length + LIMIT;
    let stop = false;
    let sent = 0;
    const stream = (async () => {
      while (!stop && sent < 200) {
        const prompts = Array.from({ length: 8 }, () => `lane stream ${String(sent++).padStart(3, '0')}`);
        await submit(account, prompts, { ...lanes('interactive'), parallel: 8 });
      }
    })();
    let firstBatch: number;
    try {
      firstBatch = await eventually(async () => {
        const index = starts('gemini').slice(streamStart).findIndex((start) => start.prompt.startsWith('lane batch'));
        return index >= 0 ? index : undefined;
      }, 240_000, 'a batch task to start under the interactive stream');
      // Work the queue a little further: batch keeps getting slots while interactive still waits.
      await eventually(async () => (starts('gemini').length - streamStart > firstBatch + 20 ? true : undefined), 120_000, '20 more starts');
    } finally {
      stop = true;
      await stream;
    }
    const window = starts('gemini').slice(streamStart);
    const interactiveBefore = window.slice(0, firstBatch).filter((start) => start.prompt.startsWith('lane stream')).length;
    console.log(`interactive starts before the first batch start under the stream: ${interactiveBefore} (bound ${LANE_OFFSET_BATCH})`);
    // Priority first: everything before it was interactive; aging: within the documented bound.
    expect(interactiveBefore).toBe(firstBatch);
    expect(interactiveBefore).toBeLessThanOrEqual(LANE_OFFSET_BATCH + 2);
    expect(interactiveBefore).toBeGreaterThan(LANE_OFFSET_BATCH / 2);
    const after = window.slice(firstBatch, firstBatch + 20);
    expect(after.filter((start) => start.prompt.startsWith('lane batch')).length).toBeGreaterThanOrEqual(5);
    expect(after.filter((start) => start.prompt.startsWith('lane stream')).length).toBeGreaterThanOrEqual(5);

    // What is left of the lanes' backlog stays where it is: the provider stops answering.
    fakes.gemini.configure({ latencyMs: 3_600_000 });
  });
});

describe('fairness between accounts', () => {
  let a: Account;
  let b: Account;
  let aTasks: Map<string, string>;

  beforeAll(async () => {
    a = await createAccount(1100);
    b = await createAccount(200);
    const prompts = Array.from({ length: 1000 }, (_, i) => `fair A ${String(i).padStart(4, '0')}`);
    aTasks = await whileHeld(async () => {
      const ids = await submit(a, prompts, { parallel: 25 });
      await waitQueued([...ids.values()]);
      return ids;
    });
  });

  it("starts each of B's tasks within 4 provider slots of its submission while A's 1,000 keep running", async () => {
    const phaseStart = starts().length;
    const slots: number[] = [];
    for (let i = 0; i < 10; i++) {
      const prompt = `fair B ${i}`;
      const [taskId] = [...(await submit(b, [prompt])).values()];
      const started = await waitStarted(prompt);
      const queued = (await queuedAt([taskId])).get(taskId)!;
      // Other tasks that reached the provider after B's task was queued and before it did.
      slots.push(starts().filter((start) => start.prompt !== prompt && start.at > queued && start.at < started.at).length);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const phase = starts().slice(phaseStart);
    console.log(`slots between B's submissions and starts: ${slots.join(', ')}; A started ${phase.filter((s) => s.prompt.startsWith('fair A')).length} meanwhile`);
    // The done-when: within 4 slots. Measured from GenerationQueued, the count includes the
    // slots claimed while the event travelled to the adapter (relay, broker, its inbox), which a
    // loaded machine can stretch past a slot or two (both runs here: at most 4); so nine of ten
    // must be within 4 and none beyond 8 (oldest first across accounts would make it ~900).
    expect(slots.filter((count) => count <= LIMIT).length).toBeGreaterThanOrEqual(9);
    expect(Math.max(...slots)).toBeLessThanOrEqual(2 * LIMIT);
    // A's keep running: they take the other slots, and A still has a backlog.
    expect(phase.filter((start) => start.prompt.startsWith('fair A')).length).toBeGreaterThanOrEqual(20);
    const aStarted = new Set(starts().filter((start) => start.prompt.startsWith('fair A')).map((start) => start.prompt));
    expect(aStarted.size).toBeLessThan(aTasks.size - 200);
  });

  it('gives B two thirds of the slots at weight 2 while both have work', async () => {
    expect((await admin('PATCH', `/admin/accounts/${b.id}`, { scheduling_weight: 2 })).status).toBe(200);
    const prompts = Array.from({ length: 60 }, (_, i) => `fair B2 ${String(i).padStart(2, '0')}`);
    const measuredFrom = await whileHeld(async () => {
      const ids = await submit(b, prompts);
      await waitQueued([...ids.values()]);
      return starts().length;
    });
    // Both have work until B's 40th start (20 of B's 60 still wait; A has hundreds).
    const window = await eventually(async () => {
      const after = starts().slice(measuredFrom);
      const bStarts = after.map((start, index) => (start.prompt.startsWith('fair B2') ? index : -1)).filter((index) => index >= 0);
      return bStarts.length >= 40 ? after.slice(0, bStarts[39] + 1) : undefined;
    }, 180_000, "B's 40 starts");
    // The first few slots may still be ones claimed before the held phase ended.
    const measured = window.slice(LIMIT);
    const share = measured.filter((start) => start.prompt.startsWith('fair B2')).length / measured.length;
    console.log(`B at weight 2: ${(share * 100).toFixed(1)} % of ${measured.length} slots`);
    expect(share).toBeGreaterThan(0.58);
    expect(share).toBeLessThan(0.76);
    expect(measured.filter((start) => start.prompt.startsWith('fair A')).length).toBeGreaterThan(0);
  });
});
