import { createHash } from 'node:crypto';
import type { ChaosTarget, FaultKind } from './chaos-target';

/**
 * The soak: tasks of mixed outcomes at a fixed rate while faults hit the deployment every few
 * seconds, then, once everything settled, the invariants darkroom promises, checked through
 * its public and admin API only (so it works against any deployment):
 * - every task ended and its credits were settled;
 * - per account, available = granted − the price of its completed tasks, nothing reserved;
 * - one capture per completed task, none for a failed or canceled one (the task's timeline);
 * - every completed task's image downloads, byte for byte as recorded (sha256);
 * - every projection equals a fresh rebuild by checksum, and no message is dead-lettered.
 */
export interface SoakOptions {
  readonly seconds: number;
  /** Tasks offered per second (open loop). */
  readonly rate: number;
  readonly accounts: number;
  /** A fault every this many seconds (0: none). */
  readonly faultEverySeconds: number;
  readonly faults: readonly FaultKind[];
  /** How long a cut or a stopped bucket lasts. */
  readonly outageMs: number;
  readonly model: string;
  /** How long to wait for every task to settle after the last offer. */
  readonly settleSeconds: number;
}

export interface SoakReport {
  readonly tasks: number;
  readonly completed: number;
  readonly failed: number;
  readonly canceled: number;
  readonly faults: Readonly<Record<string, number>>;
  readonly violations: number;
  /** The first violations, each one line. */
  readonly examples: readonly string[];
  readonly seconds: number;
}

type Outcome = 'complete' | 'fail' | 'cancel';
const outcomeOf = (i: number): Outcome => (i % 10 === 3 ? 'fail' : i % 10 === 7 ? 'cancel' : 'complete');
const promptOf = (i: number): string =>
  ({ complete: `chaos ${i} [slow:${(i % 4) * 150}]`, fail: `chaos ${i} [fail]`, cancel: `chaos ${i} [slow:3000]` })[outcomeOf(i)];
const TERMINAL = ['completed', 'failed', 'canceled'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
  readonly headers: Headers;
}

/** A client that does what a client of a deployment under faults should: retry a dropped connection or a 5xx. */
class Client {
  constructor(private readonly baseUrl: string) {}

  async call(method: string, path: string, key: string, body?: unknown, headers: Record<string, string> = {}, retryForMs = 300_000): Promise<Answer> {
    const deadline = performance.now() + retryForMs;
    for (;;) {
      try {
        const response = await fetch(`${this.baseUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
          body: body === undefined ? undefined : JSON.stringify(body),
          redirect: 'manual',
          signal: AbortSignal.timeout(30_000),
        });
        const text = await response.text();
        const answer = { status: response.status, headers: response.headers, body: text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined };
        const retry = answer.status >= 500 || (answer.status === 409 && answer.body?.code === 'idempotency_key_in_progress') || answer.status === 429;
        if (!retry || performance.now() > deadline) return answer;
      } catch (error) {
        if (performance.now() > deadline) throw error;
      }
      await sleep(250);
    }
  }
}

interface Sent {
  readonly i: number;
  readonly account: { id: string; key: string };
  readonly id: string;
}

export async function runSoak(target: ChaosTarget, options: SoakOptions, log: (line: string) => void = () => undefined): Promise<SoakReport> {
  const started = performance.now();
  const client = new Client(target.gatewayUrl);
  const grant = Math.ceil((options.seconds * options.rate) / options.accounts) * 10 + 10;
  const accounts = await Promise.all(Array.from({ length: options.accounts }, () => createAccount(client, target.adminKey, grant)));

  const sent: Sent[] = [];
  const violations: string[] = [];
  const faults: Record<string, number> = {};
  let sending = true;
  // Faults start on schedule whatever the previous ones are doing (a restart can take a while
  // on a loaded machine); a kind still in progress is not started again over itself.
  const inProgress = new Set<FaultKind>();
  const injections: Promise<void>[] = [];
  const faulting = (async () => {
    if (options.faultEverySeconds <= 0 || options.faults.length === 0) return;
    while (sending) {
      await sleep(options.faultEverySeconds * 1000);
      const free = options.faults.filter((kind) => !inProgress.has(kind));
      if (!sending || free.length === 0) continue;
      const kind = free[Math.floor(Math.random() * free.length)]!;
      inProgress.add(kind);
      injections.push(
        target
          .inject(kind, options.outageMs)
          .then((what) => {
            log(`fault: ${what}`);
            faults[kind] = (faults[kind] ?? 0) + 1;
          })
          .catch((error: unknown) => void violations.push(`fault ${kind} could not be injected: ${String(error)}`))
          .finally(() => inProgress.delete(kind)),
      );
    }
  })();

  const offers: Promise<void>[] = [];
  const total = Math.round(options.seconds * options.rate);
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / options.rate;
    await sleep(Math.max(0, due - performance.now()));
    offers.push(offer(client, accounts[i % accounts.length]!, i, options.model, sent, violations));
  }
  await Promise.all(offers);
  sending = false;
  await faulting;
  await Promise.all(injections);
  log(`sent ${sent.length} tasks; waiting for them to settle`);

  const tasks = await settle(client, sent, options.settleSeconds, violations);
  await checkCredits(client, accounts, grant, sent, tasks, violations);
  await checkCapturesAndAssets(client, sent, tasks, violations);
  await checkProjectionsAndDeadLetters(client, target.adminKey, violations);

  const count = (status: string) => [...tasks.values()].filter((task) => task?.status === status).length;
  return {
    tasks: sent.length,
    completed: count('completed'),
    failed: count('failed'),
    canceled: count('canceled'),
    faults,
    violations: violations.length,
    examples: violations.slice(0, 10),
    seconds: Math.round((performance.now() - started) / 1000),
  };
}

async function createAccount(client: Client, adminKey: string, credits: number): Promise<{ id: string; key: string }> {
  const created = await client.call('POST', '/admin/accounts', adminKey, { name: 'chaos soak' });
  if (created.status !== 201) throw new Error(`POST /admin/accounts answered ${created.status}`);
  const account = { id: created.body.id as string, key: created.body.api_key as string };
  const granted = await client.call('POST', `/admin/accounts/${account.id}/credits`, adminKey, { amount: credits, reason: 'chaos soak' }, {
    'idempotency-key': `chaos-grant-${account.id}`,
  });
  if (granted.status !== 201) throw new Error(`granting credits answered ${granted.status}`);
  // The fast 402 check reads the balance projection: wait until it shows the grant.
  for (let tries = 0; tries < 600; tries++) {
    const balance = await client.call('GET', '/v1/credits', account.key);
    if (balance.body?.available === credits) return account;
    await sleep(100);
  }
  throw new Error(`account ${account.id} never showed its grant`);
}

async function offer(client: Client, account: { id: string; key: string }, i: number, model: string, sent: Sent[], violations: string[]): Promise<void> {
  const body = { model, prompt: promptOf(i), size: '64x64', seed: i + 1 };
  const created = await client.call('POST', '/v1/generations', account.key, body, { 'idempotency-key': `chaos-${account.id}-${i}` });
  if (created.status !== 202) {
    violations.push(`task ${i}: POST /v1/generations answered ${created.status} ${created.body?.code ?? ''}`);
    return;
  }
  sent.push({ i, account, id: created.body.id });
  if (outcomeOf(i) === 'cancel') {
    const canceled = await client.call('POST', `/v1/generations/${created.body.id}/cancel`, account.key);
    if (![200, 409].includes(canceled.status)) violations.push(`task ${created.body.id}: cancel answered ${canceled.status}`);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Task = any;

async function settle(client: Client, sent: readonly Sent[], seconds: number, violations: string[]): Promise<Map<string, Task>> {
  const deadline = performance.now() + seconds * 1000;
  const tasks = new Map<string, Task>();
  let open = [...sent];
  while (open.length > 0 && performance.now() < deadline) {
    const still: Sent[] = [];
    for (let start = 0; start < open.length; start += 16) {
      await Promise.all(
        open.slice(start, start + 16).map(async (task) => {
          const answer = await client.call('GET', `/v1/generations/${task.id}`, task.account.key);
          const settled = TERMINAL.includes(answer.body?.status) && !['pending', 'reserved'].includes(answer.body?.credits?.state);
          if (settled) tasks.set(task.id, answer.body);
          else still.push(task);
        }),
      );
    }
    open = still;
    if (open.length > 0) await sleep(1000);
  }
  for (const task of open) violations.push(`task ${task.id}: not settled ${seconds} s after the last offer`);
  for (const task of sent) {
    const seen = tasks.get(task.id);
    if (seen && outcomeOf(task.i) === 'fail' && seen.status === 'completed') violations.push(`task ${task.id}: asked to fail, completed`);
  }
  return tasks;
}

async function checkCredits(
  client: Client,
  accounts: readonly { id: string; key: string }[],
  grant: number,
  sent: readonly Sent[],
  tasks: ReadonlyMap<string, Task>,
  violations: string[],
): Promise<void> {
  for (const account of accounts) {
    const charged = sent
      .filter((task) => task.account.id === account.id && tasks.get(task.id)?.status === 'completed')
      .reduce((sum, task) => sum + Number(tasks.get(task.id).credits.price), 0);
    const expected = { available: grant - charged, reserved: 0 };
    // The balance trails the ledger a moment: give it 60 s.
    let seen: { available?: number; reserved?: number } = {};
    for (let tries = 0; tries < 600; tries++) {
      seen = (await client.call('GET', '/v1/credits', account.key)).body ?? {};
      if (seen.available === expected.available && seen.reserved === expected.reserved) break;
      await sleep(100);
    }
    if (seen.available !== expected.available || seen.reserved !== expected.reserved) {
      violations.push(`account ${account.id}: credits ${JSON.stringify({ available: seen.available, reserved: seen.reserved })}, expected ${JSON.stringify(expected)}`);
    }
  }
}

async function checkCapturesAndAssets(client: Client, sent: readonly Sent[], tasks: ReadonlyMap<string, Task>, violations: string[]): Promise<void> {
  for (let start = 0; start < sent.length; start += 16) {
    await Promise.all(
      sent.slice(start, start + 16).map(async (task) => {
        const seen = tasks.get(task.id);
        if (!seen) return;
        const timeline = await client.call('GET', `/v1/generations/${task.id}/events`, task.account.key);
        const types: string[] = (timeline.body?.data ?? []).map((event: { type: string }) => event.type);
        const captures = types.filter((type) => type === 'CreditsCaptured').length;
        const ends = types.filter((type) => ['GenerationCompleted', 'GenerationFailed', 'GenerationCanceled'].includes(type)).length;
        const expected = seen.status === 'completed' ? 1 : 0;
        if (captures !== expected) violations.push(`task ${task.id} (${seen.status}): ${captures} captures`);
        if (ends !== 1) violations.push(`task ${task.id}: ${ends} terminal events`);
        if (seen.status !== 'completed') return;
        for (const asset of seen.assets) {
          const redirect = await client.call('GET', `/v1/assets/${asset.id}`, task.account.key);
          const location = redirect.headers.get('location');
          const bytes = location ? Buffer.from(await (await fetch(location)).arrayBuffer()) : Buffer.alloc(0);
          if (createHash('sha256').update(bytes).digest('hex') !== asset.sha256) violations.push(`asset ${asset.id}: not readable as recorded (${redirect.status})`);
        }
      }),
    );
  }
}

async function checkProjectionsAndDeadLetters(client: Client, adminKey: string, violations: string[]): Promise<void> {
  for (const name of ['generations', 'credit_balances', 'ledger_entries', 'assets']) {
    let answer: Answer | undefined;
    for (let tries = 0; tries < 60 && answer?.status !== 200; tries++) answer = await client.call('GET', `/admin/projections/${name}/checksum?wait=60`, adminKey);
    if (answer?.status !== 200 || answer.body?.match !== true) violations.push(`projection ${name}: ${answer?.status} match=${String(answer?.body?.match)}`);
  }
  const letters = await client.call('GET', '/admin/dead-letters', adminKey);
  if (letters.status !== 200 || (letters.body?.data ?? []).length > 0) violations.push(`dead letters: ${letters.status} ${JSON.stringify(letters.body?.data?.length)}`);
}
