import { createHash } from 'node:crypto';
import OpenAI, { APIError, toFile } from 'openai';
import sharp from 'sharp';
import { call, eventually } from './support/api';
import { startFakes, type Fakes } from './support/fakes';
import { flows, type Account } from './support/flows';
import { startSystem, type System } from './support/system';

/**
 * The OpenAI-compatible façade (issue 5, "Done when"; decision 0012): the official `openai`
 * client, pointed at darkroom with a darkroom key, generates and edits images, gets the
 * stored bytes, and each call is charged exactly once.
 */
// Generous: on a loaded 2-core machine starting the five services alone can take minutes.
jest.setTimeout(900_000);

/** Long enough for a local render on a loaded machine; the 504 test uses a slower (fake) provider. */
const WAIT_SECONDS = 90;

let fakes: Fakes;
let system: System;
const { balance, expectBalance, createAccount, waitForSettled, eventsOf, download } = flows(() => system);

beforeAll(async () => {
  fakes = await startFakes();
  system = await startSystem('e2e_openai_compat', {
    env: (gatewayUrl) => ({
      ...fakes.env(gatewayUrl),
      OPENAI_COMPAT_TIMEOUT_SECONDS: String(WAIT_SECONDS),
      OPENAI_COMPAT_DEFAULT_MODEL: 'local',
      RATE_LIMIT_PER_MINUTE: '1000000',
      // The slow fake below must not be cut off (and retried) by the provider call timeout.
      PROVIDER_REQUEST_TIMEOUT_MS: '300000',
    }),
  });
});
afterAll(async () => {
  await system?.stop();
  await fakes?.stop();
});

const clientFor = (account: Account) => new OpenAI({ apiKey: account.key, baseURL: `${system.gatewayUrl}/v1`, maxRetries: 0 });
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** darkroom adds the task id to OpenAI's response shape. */
const taskIdOf = (response: object) => (response as { task_id: string }).task_id;

async function expectPng(bytes: Buffer, width: number, height: number): Promise<void> {
  expect(bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  expect(await sharp(bytes).metadata()).toMatchObject({ format: 'png', width, height });
}

/** Waits until the task's credits are resolved, then checks it was reserved and captured once and nothing else. */
async function expectChargedOnce(account: Account, taskId: string): Promise<void> {
  const task = await waitForSettled(account.key, taskId);
  expect(task).toMatchObject({ status: 'completed', credits: { state: 'captured' } });
  const credits = (await eventsOf(taskId)).filter((event) => event.type.startsWith('Credits')).map((event) => event.type);
  expect(credits.sort()).toEqual(['CreditsCaptured', 'CreditsReserved']);
}

/** GenerationCreated events of the account: one per task it made. */
async function tasksOf(accountId: string): Promise<string[]> {
  const { rows } = await system.db.sql.query<{ task: string }>(
    `SELECT data->>'taskId' AS task FROM events WHERE type = 'GenerationCreated' AND metadata->>'accountId' = $1`,
    [accountId],
  );
  return rows.map((row) => row.task);
}

describe('images.generate through the openai client', () => {
  let account: Account;
  let client: OpenAI;

  beforeAll(async () => {
    account = await createAccount(30);
    client = clientFor(account);
  });

  it('returns b64_json bytes that are a PNG equal to the stored asset, charged once', async () => {
    const result = await client.images.generate({ model: 'local', prompt: 'a lighthouse at dusk', size: '64x64' as never, response_format: 'b64_json' });
    expect(result.data).toHaveLength(1);
    expect(typeof result.created).toBe('number');
    const bytes = Buffer.from(result.data![0].b64_json!, 'base64');
    await expectPng(bytes, 64, 64);

    const taskId = taskIdOf(result);
    await expectChargedOnce(account, taskId);
    const task = (await call(system.gatewayUrl, 'GET', `/v1/generations/${taskId}`, { key: account.key })).body;
    expect(task.assets).toHaveLength(1);
    expect(sha256(bytes)).toBe(task.assets[0].sha256);
    expect(sha256((await download(account.key, task.assets[0].id)).bytes)).toBe(sha256(bytes));
    await expectBalance(account.id, { available: 29, reserved: 0, captured: 1 });
  });

  it('returns a signed asset URL that works without a key with response_format url; the default model applies when none is named', async () => {
    const result = await client.images.generate({ prompt: 'a harbour at night', size: '64x64' as never, response_format: 'url' });
    const url = result.data![0].url!;
    const taskId = taskIdOf(result);
    await expectChargedOnce(account, taskId);
    const task = (await call(system.gatewayUrl, 'GET', `/v1/generations/${taskId}`, { key: account.key })).body;
    expect(task.model).toBe('local');
    expect(url).toMatch(new RegExp(`^${system.gatewayUrl}/v1/assets/${task.assets[0].id}\\?expires=\\d+&signature=[\\w-]{43}$`));
    const fetched = await fetch(url); // no Authorization header, as an <img> sends it
    expect(fetched.status).toBe(200);
    const bytes = Buffer.from(await fetched.arrayBuffer());
    await expectPng(bytes, 64, 64);
    expect(sha256(bytes)).toBe(task.assets[0].sha256);
  });

  it('answers a repeat with the same Idempotency-Key from the same task, charging once', async () => {
    const before = (await tasksOf(account.id)).length;
    const params = { model: 'local', prompt: 'one charge only', size: '64x64' as never };
    const options = { headers: { 'Idempotency-Key': `facade-${account.id}` } };
    const first = await client.images.generate(params, options).withResponse();
    const again = await client.images.generate(params, options).withResponse();
    expect(first.response.headers.get('idempotent-replayed')).toBeNull();
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(taskIdOf(again.data)).toBe(taskIdOf(first.data));
    expect(again.data.data![0].b64_json).toBe(first.data.data![0].b64_json);
    expect((await tasksOf(account.id)).length).toBe(before + 1);
    await expectChargedOnce(account, taskIdOf(first.data));
  });
});

describe('images.edit through the openai client', () => {
  it('edits an uploaded PNG: the input goes through the upload checks, the result is the stored asset, charged once', async () => {
    const account = await createAccount(10);
    const input = await sharp({ create: { width: 80, height: 60, channels: 3, background: { r: 200, g: 40, b: 40 } } }).png().toBuffer();
    const result = await clientFor(account).images.edit({
      model: 'local',
      image: await toFile(input, 'input.png', { type: 'image/png' }),
      prompt: 'make it look like dusk',
      size: '64x64' as never,
    });
    const bytes = Buffer.from(result.data![0].b64_json!, 'base64');
    await expectPng(bytes, 64, 64);

    const taskId = taskIdOf(result);
    await expectChargedOnce(account, taskId);
    const task = (await call(system.gatewayUrl, 'GET', `/v1/generations/${taskId}`, { key: account.key })).body;
    expect(task.params.input_images).toHaveLength(1);
    const uploaded = await call(system.gatewayUrl, 'GET', `/v1/uploads/${task.params.input_images[0]}`, { key: account.key });
    expect(uploaded.status).toBe(200);
    expect(uploaded.body.sha256).toBe(sha256(input));
    expect(sha256(bytes)).toBe(task.assets[0].sha256);
    // The balance projection trails the task: wait for the capture to reach it.
    await eventually(async () => ((await balance(account.id)).reserved === 0 ? true : undefined), 60_000, 'the capture in the balance projection');
    await expectBalance(account.id, { available: 9, reserved: 0, captured: 1 });
  });

  it('keeps the input’s aspect ratio when the edit names no size', async () => {
    const account = await createAccount(10);
    const input = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#224466' } }).png().toBuffer();
    const result = await clientFor(account).images.edit({ model: 'local', image: await toFile(input, 'wide.png', { type: 'image/png' }), prompt: 'at dusk' });
    await expectPng(Buffer.from(result.data![0].b64_json!, 'base64'), 640, 480);
    expect(result).toMatchObject({ size: '640x480' });
  });

  it('refuses a mask and a file that is not an image, creating no task', async () => {
    const account = await createAccount(10);
    const client = clientFor(account);
    const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#336699' } }).png().toBuffer();
    const masked = client.images.edit({
      model: 'local',
      image: await toFile(png, 'a.png', { type: 'image/png' }),
      mask: await toFile(png, 'm.png', { type: 'image/png' }),
      prompt: 'masked',
    });
    await expect(masked).rejects.toMatchObject({ status: 400, code: 'mask_not_supported', param: 'mask' });
    const text = client.images.edit({ model: 'local', image: await toFile(Buffer.from('not an image'), 'a.png', { type: 'image/png' }), prompt: 'x' });
    await expect(text).rejects.toMatchObject({ status: 415, code: 'unsupported_media_type' });
    expect(await tasksOf(account.id)).toEqual([]);
  });
});

describe('errors as the openai client sees them', () => {
  it('surfaces insufficient credits as an APIError with our code and message, charging nothing', async () => {
    const account = await createAccount(0);
    const attempt = clientFor(account).images.generate({ model: 'local', prompt: 'no credits', size: '64x64' as never });
    await expect(attempt).rejects.toBeInstanceOf(APIError);
    await expect(attempt).rejects.toMatchObject({ status: 402, code: 'insufficient_credits', type: 'insufficient_quota' });
    await expect(attempt).rejects.toThrow(/costs 1 credit and 0 are available/);
    expect(await tasksOf(account.id)).toEqual([]);
  });

  it('refuses stream and a non-PNG output_format with a message naming each field and why', async () => {
    const account = await createAccount(5);
    const response = await call(system.gatewayUrl, 'POST', '/v1/images/generations', {
      key: account.key,
      body: { model: 'local', prompt: 'x', stream: true, output_format: 'jpeg' },
    });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid_request');
    expect(response.body.detail).toContain('output_format must be png');
    expect(response.body.detail).toContain('stream must be false: streaming is not offered');
    expect(response.body.error.message).toBe(response.body.detail);
    expect(await tasksOf(account.id)).toEqual([]);
  });

  it('surfaces an unknown model as a BadRequestError naming the param', async () => {
    const account = await createAccount(5);
    const attempt = clientFor(account).images.generate({ model: 'dall-e-9', prompt: 'x' });
    await expect(attempt).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(attempt).rejects.toMatchObject({ status: 400, code: 'model_not_found', param: 'model' });
  });

  it('surfaces a bad API key as an AuthenticationError', async () => {
    const attempt = clientFor({ id: 'x', key: 'dr_not_a_key' }).images.generate({ model: 'local', prompt: 'x' });
    await expect(attempt).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(attempt).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('answers a task that fails with its reason, and releases its credits', async () => {
    const account = await createAccount(5);
    const attempt = clientFor(account).images.generate({ model: 'local', prompt: 'doomed [fail]', size: '64x64' as never });
    await expect(attempt).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    const error = (await attempt.catch((e: unknown) => e)) as APIError & { error: { task_id?: string } };
    expect(error).toMatchObject({ status: 502, code: 'provider_error' });
    const [taskId] = await tasksOf(account.id);
    const task = await waitForSettled(account.key, taskId);
    expect(task).toMatchObject({ status: 'failed', credits: { state: 'released' } });
    await expectBalance(account.id, { available: 5, reserved: 0, captured: 0 });
  });

  it(`stops waiting after ${WAIT_SECONDS} s with a 504 naming the task; a repeat with the key answers from that task`, async () => {
    const account = await createAccount(10);
    const client = clientFor(account);
    // The fake OpenAI answers 25 s after the façade stops waiting.
    const params = { model: 'gpt-image-1', prompt: `slow [fake:latency:${(WAIT_SECONDS + 25) * 1000}]`, quality: 'low' as const };
    const options = { headers: { 'Idempotency-Key': `slow-${account.id}` } };
    const late = (await client.images.generate(params, options).catch((e: unknown) => e)) as APIError;
    expect(late).toBeInstanceOf(APIError);
    expect(late).toMatchObject({ status: 504, code: 'generation_still_running' });
    const [taskId] = await tasksOf(account.id);
    expect(late.message).toContain(taskId);

    await waitForSettled(account.key, taskId);
    const answered = await client.images.generate(params, options).withResponse();
    expect(taskIdOf(answered.data)).toBe(taskId);
    expect(answered.response.headers.get('idempotent-replayed')).toBe('true');
    expect(await tasksOf(account.id)).toEqual([taskId]);
    // gpt-image-1 at low quality costs 1.
    await expectBalance(account.id, { available: 9, reserved: 0, captured: 1 });
  });
});
