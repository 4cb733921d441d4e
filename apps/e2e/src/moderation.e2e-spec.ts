import { createHash } from 'node:crypto';
import { eventually, type Body } from './support/api';
import { startFakes, type Fakes } from './support/fakes';
import { flows, type Account } from './support/flows';
import { startSystem, type System } from './support/system';

jest.setTimeout(360_000);

/** The fake OpenAI renders this prompt deterministically; its image's digest is on the blocklist. */
const BLOCKED_IMAGE_PROMPT = 'an innocent looking teapot';

let fakes: Fakes;
let system: System;
let account: Account;
const { balance, createAccount, generate, waitForSettled, eventsOf } = flows(() => system);

beforeAll(async () => {
  fakes = await startFakes();
  const blockedImage = await fakes.openai.expectedImage(BLOCKED_IMAGE_PROMPT, 0, 1024, 1024);
  system = await startSystem('e2e_moderation', {
    env: (gatewayUrl) => ({
      ...fakes.env(gatewayUrl),
      MODERATION_BLOCKLIST: 'contraband, forbidden fruit',
      MODERATION_BLOCKED_IMAGE_SHA256: createHash('sha256').update(blockedImage).digest('hex'),
    }),
  });
  account = await createAccount(100);
});
afterAll(async () => {
  await system?.stop();
  await fakes?.stop();
});

const count = (events: { type: string }[], type: string) => events.filter((event) => event.type === type).length;

async function settledBalance() {
  return eventually(async () => {
    const now = await balance(account.id);
    return now.reserved === 0 ? now : undefined;
  }, 30_000, 'reservations to resolve');
}

async function run(body: Record<string, unknown>): Promise<Body> {
  const created = await generate(account.key, body);
  expect(created.status).toBe(202);
  return waitForSettled(account.key, created.body.id);
}

/** Nothing of the task is left in the bucket: no final object, and no staged copy once cleanup ran. */
async function expectNothingStored(taskId: string): Promise<void> {
  expect(await system.objectKeys(`accounts/${account.id}/generations/${taskId}/`)).toEqual([]);
  await eventually(async () => ((await system.objectKeys(`staging/${taskId}/`)).length === 0 ? true : undefined), 20_000, 'staging cleanup');
}

describe('prompt moderation, before any provider call', () => {
  it.each([
    ['a blocked word in the prompt', { model: 'gpt-image-1', prompt: 'a crate of CONTRABAND on a dock' }],
    ['a blocked phrase in the negative prompt', { model: 'local', prompt: 'a still life', negative_prompt: 'no Forbidden  Fruit' }],
  ])('%s fails the task with content_moderated and releases the credits', async (_, body) => {
    const before = await settledBalance();
    const openAiCalls = fakes.openai.server.requests.length;

    const task = await run(body);
    expect(task).toMatchObject({
      status: 'failed',
      error: { code: 'content_moderated', provider_detail: { source: 'darkroom', reason: expect.stringContaining('blocked term') } },
      credits: { state: 'released' },
      assets: [],
    });
    expect(fakes.openai.server.requests.length).toBe(openAiCalls);
    const events = await eventsOf(task.id);
    expect(events.find((event) => event.type === 'ProviderJobFailed')?.data).toMatchObject({
      code: 'content_moderated',
      retryable: false,
      detail: { source: 'darkroom' },
    });
    expect(count(events, 'ProviderJobSucceeded')).toBe(0);
    expect(count(events, 'GenerationRetryScheduled')).toBe(0);
    expect(count(events, 'CreditsReleased')).toBe(1);
    expect(count(events, 'CreditsCaptured')).toBe(0);
    expect(await settledBalance()).toEqual(before);
    await expectNothingStored(task.id);
  });

  it('matches whole words only: a prompt merely containing the letters completes', async () => {
    const task = await run({ model: 'local', prompt: 'contrabandista sketches', size: '64x64' });
    expect(task).toMatchObject({ status: 'completed', credits: { state: 'captured' } });
  });
});

describe('image moderation, before the result is kept', () => {
  it('fails the task with content_moderated, releases the credits and leaves no object', async () => {
    const before = await settledBalance();
    const openAiCalls = fakes.openai.server.requests.length;

    const task = await run({ model: 'gpt-image-1', prompt: BLOCKED_IMAGE_PROMPT, size: '1024x1024' });
    expect(fakes.openai.server.requests.length).toBe(openAiCalls + 1); // the provider did render it
    expect(task).toMatchObject({
      status: 'failed',
      error: { code: 'content_moderated', provider_detail: { source: 'darkroom', reason: expect.stringContaining('blocked image') } },
      credits: { state: 'released' },
      assets: [],
    });
    const events = await eventsOf(task.id);
    expect(events.find((event) => event.type === 'AssetRejected')?.data).toMatchObject({ code: 'content_moderated' });
    expect(count(events, 'AssetStored')).toBe(0);
    expect(count(events, 'CreditsReleased')).toBe(1);
    expect(count(events, 'CreditsCaptured')).toBe(0);
    expect(await settledBalance()).toEqual(before);
    await expectNothingStored(task.id);
  });

  it('keeps any other image of the same provider', async () => {
    const task = await run({ model: 'gpt-image-1', prompt: 'a perfectly ordinary teapot', size: '1024x1024' });
    expect(task).toMatchObject({ status: 'completed', credits: { state: 'captured' } });
    expect(await system.objectKeys(`accounts/${account.id}/generations/${task.id}/`)).toHaveLength(1);
    await eventually(async () => ((await system.objectKeys(`staging/${task.id}/`)).length === 0 ? true : undefined), 20_000, 'staging cleanup');
  });
});
