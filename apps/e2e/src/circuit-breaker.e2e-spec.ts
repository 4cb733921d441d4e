import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMetrics, sampleValue } from '@darkroom/observability';
import { call, eventually, type Body } from './support/api';
import { startFakes, type Fakes } from './support/fakes';
import { flows, type Account } from './support/flows';
import { workspaceRoot } from './support/processes';
import { startSystem, type System } from './support/system';

/**
 * The circuit breaker per (provider, model) (issue 17 item 3, decision 0025): with Gemini's
 * fake answering every request 503, three failures open the circuit of `nano-banana`; a task
 * after that is queued on its fallback `nano-banana-fal` (one attempt on Gemini at most, when
 * the cool-down ended meanwhile and its probe failed), and the breaker's events are in the
 * task timelines; once Gemini is back and the cool-down is over, the next attempt probes it
 * and closes the circuit.
 */
jest.setTimeout(240_000);

const COOLDOWN_SECONDS = 8;
const shipped = JSON.parse(readFileSync(join(workspaceRoot, 'libs/providers/src/catalog/models.json'), 'utf8')) as {
  models: Record<string, unknown>[];
};
const catalog = { models: shipped.models.map((model) => ({ ...model, pollIntervalSeconds: 0.2 })) };
const circuit = { provider: 'gemini', model: 'nano-banana' };
const suffix = randomUUID();

let fakes: Fakes;
let system: System;
let account: Account;
const { createAccount, generate, waitForSettled } = flows(() => system);

beforeAll(async () => {
  fakes = await startFakes(catalog);
  system = await startSystem('e2e_circuit', {
    env: (gatewayUrl) => ({
      ...fakes.env(gatewayUrl),
      DATABASE_POOL_SIZE: '4',
      CIRCUIT_FAILURE_THRESHOLD: '3',
      CIRCUIT_WINDOW_SECONDS: '60',
      CIRCUIT_COOLDOWN_SECONDS: String(COOLDOWN_SECONDS),
    }),
  });
  account = await createAccount(200);
});
afterAll(async () => {
  await system?.stop();
  await fakes?.stop();
});

interface Entry {
  type: string;
  stream: string;
  data: Record<string, unknown>;
}

/** The task's timeline as the API shows it. */
async function timeline(taskId: string): Promise<Entry[]> {
  const response = await call(system.gatewayUrl, 'GET', `/v1/generations/${taskId}/events`, { key: account.key });
  expect(response.status).toBe(200);
  return (response.body as { data: Entry[] }).data;
}

async function health(): Promise<string> {
  const response = await call(system.gatewayUrl, 'GET', '/v1/models', { key: account.key });
  return (response.body as { data: { id: string; health: string }[] }).data.find((model) => model.id === 'nano-banana')!.health;
}

async function gauge(): Promise<number | undefined> {
  const response = await fetch(`${system.gatewayUrl}/metrics`);
  return sampleValue(parseMetrics(await response.text()), 'darkroom_provider_circuit_open', circuit);
}

/** Requests Gemini's fake received with this prompt: the attempts spent on the failing provider. */
const geminiCalls = (prompt: string) => fakes.gemini.server.requests.filter((request) => request.body.toString('utf8').includes(prompt)).length;

const submittedModels = (events: Entry[]) =>
  events.filter((event) => event.type === 'ProviderJobSubmitted').map((event) => event.data['model'] as string);

async function settle(prompt: string): Promise<{ task: Body; events: Entry[] }> {
  const created = await generate(account.key, { model: 'nano-banana', prompt });
  expect(created.status).toBe(202);
  const task = await waitForSettled(account.key, created.body.id, 120_000);
  return { task, events: await timeline(task.id) };
}

describe('circuit breaker', () => {
  it('opens after consecutive 503s; then a new task goes to the fallback, spending one Gemini attempt at most', async () => {
    expect(await health()).toBe('healthy');
    fakes.gemini.configure({ outageStatus: 503 });

    const first = await Promise.all([1, 2, 3].map((i) => settle(`outage ${i} ${suffix}`)));
    for (const { task, events } of first) {
      expect(task).toMatchObject({ status: 'completed', credits: { state: 'captured' } });
      expect(submittedModels(events).at(-1)).toBe('nano-banana-fal');
    }
    const circuitEvents = first.flatMap(({ events }) => events).filter((event) => event.stream === `provider-circuit-gemini~nano-banana`);
    expect(circuitEvents.filter((event) => event.type === 'ProviderCircuitFailureCounted')).toHaveLength(2);
    expect(circuitEvents.filter((event) => event.type === 'ProviderCircuitOpened').length).toBeGreaterThanOrEqual(1);
    expect(circuitEvents.find((event) => event.type === 'ProviderCircuitOpened')!.data).toMatchObject({ ...circuit, failures: 3 });

    // Open (or open again by a failed probe): the next task is diverted after its first failure.
    await eventually(async () => ((await health()) === 'circuit_open' ? true : undefined), 60_000, 'the circuit to be open');
    expect(await gauge()).toBe(1);
    const prompt = `after the breaker opened ${suffix}`;
    const { task, events } = await settle(prompt);
    expect(task).toMatchObject({ status: 'completed', credits: { state: 'captured' } });
    expect(geminiCalls(prompt)).toBeLessThanOrEqual(1);
    expect(submittedModels(events)).toEqual([...Array(geminiCalls(prompt)).fill('nano-banana'), 'nano-banana-fal']);
    // Routed to the fallback when queued, or (when the circuit was half-open by then and the probe failed) on retry.
    const queued = events.find((event) => event.type === 'GenerationQueued')!.data;
    const retry = events.find((event) => event.type === 'GenerationRetryScheduled')?.data;
    expect(queued['route'] ?? retry).toMatchObject({ model: 'nano-banana-fal', circuit_open: circuit });
    expect(geminiCalls(prompt)).toBe(queued['route'] ? 0 : 1);
  });

  it('closes again when a probe succeeds after the provider recovers', async () => {
    fakes.gemini.configure({ outageStatus: undefined });
    await eventually(async () => ((await health()) === 'half_open' ? true : undefined), (COOLDOWN_SECONDS + 60) * 1000, 'the cool-down to end');
    const { task, events } = await settle(`recovered ${suffix}`);
    expect(task).toMatchObject({ status: 'completed', credits: { state: 'captured' } });
    expect(submittedModels(events)).toEqual(['nano-banana']);
    expect(events.find((event) => event.type === 'ProviderCircuitClosed')?.data).toMatchObject(circuit);
    expect(await health()).toBe('healthy');
    expect(await gauge()).toBe(0);
  });
});
