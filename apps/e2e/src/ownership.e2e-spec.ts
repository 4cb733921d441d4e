import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { call, eventually, type Body } from './support/api';
import { startFakes, type Fakes } from './support/fakes';
import { flows, type Account } from './support/flows';
import { startSystem, type System } from './support/system';

jest.setTimeout(360_000);

let fakes: Fakes;
let system: System;
const { balance, expectBalance, createAccount, generate, waitForSettled, eventsOf, upload, download } = flows(() => system);

beforeAll(async () => {
  fakes = await startFakes();
  system = await startSystem('e2e_ownership', { env: (gatewayUrl) => fakes.env(gatewayUrl) });
});
afterAll(async () => {
  await system?.stop();
  await fakes?.stop();
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const fields = (body: Body): string[] => body.errors.map((error: { field: string }) => error.field).sort();

/** 96×64: red on the left, blue on the right, so a crop or a blend shows in the output. */
const twoTone = () =>
  sharp({ create: { width: 48, height: 64, channels: 3, background: { r: 220, g: 30, b: 30 } } })
    .extend({ right: 48, background: { r: 30, g: 30, b: 220 } })
    .png()
    .toBuffer();

async function tasksCreatedBy(accountId: string): Promise<number> {
  const { rows } = await system.db.sql.query(
    `SELECT 1 FROM events WHERE metadata->>'accountId' = $1 AND type = 'GenerationCreated'`,
    [accountId],
  );
  return rows.length;
}

describe("account A cannot read or change account B's task, asset or upload", () => {
  let a: Account;
  let b: Account;
  /** B's completed task, with one asset. */
  let done: Body;
  /** B's task still rendering (cancelable by B), and the status it shows meanwhile. */
  let running: string;
  let runningStatus: string;
  let bUpload: string;

  /** Everything A's requests could have changed. */
  async function snapshot() {
    const [aBalance, bBalance, aTasks, doneEvents, runningEvents] = await Promise.all([
      balance(a.id),
      balance(b.id),
      tasksCreatedBy(a.id),
      eventsOf(done.id),
      eventsOf(running),
    ]);
    return { aBalance, bBalance, aTasks, doneEvents: doneEvents.length, runningEvents: runningEvents.length };
  }
  let before: Awaited<ReturnType<typeof snapshot>>;

  beforeAll(async () => {
    [a, b] = await Promise.all([createAccount(10), createAccount(10)]);
    const uploaded = await upload(b.key, await twoTone());
    expect(uploaded.status).toBe(201);
    bUpload = uploaded.body.id;

    const first = await generate(b.key, { model: 'local', prompt: "b's own picture", size: '64x64', seed: 1 });
    expect(first.status).toBe(202);
    done = await waitForSettled(b.key, first.body.id);
    expect(done).toMatchObject({ status: 'completed', credits: { state: 'captured' } });
    const slow = await generate(b.key, { model: 'local', prompt: "b's slow picture [slow:30000]", size: '64x64' });
    expect(slow.status).toBe(202);
    running = slow.body.id;
    // The local renderer is synchronous: the task shows queued until its 30 s render returns.
    runningStatus = await eventually(async () => {
      const task = await call(system.gatewayUrl, 'GET', `/v1/generations/${running}`, { key: b.key });
      const reserved = (await balance(b.id)).reserved === 1;
      return ['queued', 'processing'].includes(task.body.status) && reserved ? (task.body.status as string) : undefined;
    }, 30_000, "b's slow task to hold its credits");
    before = await snapshot();
  });

  it('GET /v1/generations/{id}: 404 generation_not_found, in any letter case', async () => {
    for (const id of [done.id, running, done.id.toUpperCase()]) {
      const response = await call(system.gatewayUrl, 'GET', `/v1/generations/${id}`, { key: a.key });
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({ code: 'generation_not_found', status: 404 });
      expect(JSON.stringify(response.body)).not.toContain("b's");
    }
    expect((await call(system.gatewayUrl, 'GET', `/v1/generations/${done.id}`, { key: b.key })).status).toBe(200);
  });

  it('POST /v1/generations/{id}/cancel: 404 generation_not_found, and the task keeps running', async () => {
    const response = await call(system.gatewayUrl, 'POST', `/v1/generations/${running}/cancel`, { key: a.key });
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ code: 'generation_not_found' });
    const still = await call(system.gatewayUrl, 'GET', `/v1/generations/${running}`, { key: b.key });
    expect(still.body).toMatchObject({ status: runningStatus, canceled_at: null });
    expect((await eventsOf(running)).map((event) => event.type)).not.toContain('GenerationCanceled');
  });

  it('GET /v1/assets/{id}: 404 asset_not_found with no redirect, even with the right ETag', async () => {
    const asset = done.assets[0];
    const conditional = { 'if-none-match': `"${asset.sha256}"` };
    for (const headers of [{}, conditional]) {
      const response = await call(system.gatewayUrl, 'GET', `/v1/assets/${asset.id}`, { key: a.key, headers });
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({ code: 'asset_not_found', status: 404 });
      expect(response.headers.get('location')).toBeNull();
      expect(response.headers.get('etag') ?? '').not.toContain(asset.sha256);
    }
    const own = await download(b.key, asset.id);
    expect(own.status).toBe(200);
    expect(sha256(own.bytes)).toBe(asset.sha256);
  });

  it('GET /v1/uploads/{id}: 404 upload_not_found', async () => {
    const response = await call(system.gatewayUrl, 'GET', `/v1/uploads/${bUpload}`, { key: a.key });
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ code: 'upload_not_found', status: 404 });
    expect((await call(system.gatewayUrl, 'GET', `/v1/uploads/${bUpload}`, { key: b.key })).status).toBe(200);
  });

  it("POST /v1/generations with B's upload in input_images or reference_images: 400 upload_not_found on that field", async () => {
    // Models that accept the field, so the upload's owner is the only thing wrong.
    const asInput = await generate(a.key, { model: 'local', prompt: 'edit theirs', input_images: [bUpload] });
    expect(asInput.status).toBe(400);
    expect(asInput.body).toMatchObject({ code: 'upload_not_found' });
    expect(fields(asInput.body)).toEqual(['input_images']);
    const asReference = await generate(a.key, { model: 'nano-banana-replicate', prompt: 'like theirs', reference_images: [bUpload] });
    expect(asReference.status).toBe(400);
    expect(asReference.body).toMatchObject({ code: 'upload_not_found' });
    expect(fields(asReference.body)).toEqual(['reference_images']);
  });

  it("changed nothing: no task or credit movement for A, B's tasks and credits as they were", async () => {
    expect(await snapshot()).toEqual(before);
    expect(before.aTasks).toBe(0);
    expect(before.aBalance).toEqual({ available: 10, reserved: 0, captured: 0 });
    // B can still cancel its own task: A's 404 was about ownership, not about the task's state.
    const canceled = await call(system.gatewayUrl, 'POST', `/v1/generations/${running}/cancel`, { key: b.key });
    expect(canceled.status).toBe(200);
    expect(canceled.body.status).toBe('canceled');
  });
});

describe('edits with an uploaded image, end to end', () => {
  let account: Account;
  let image: Buffer;
  let uploadId: string;

  beforeAll(async () => {
    account = await createAccount(50);
    image = await twoTone();
    const uploaded = await upload(account.key, image);
    expect(uploaded.status).toBe(201);
    uploadId = uploaded.body.id;
  });

  async function completed(body: Record<string, unknown>): Promise<Body> {
    const created = await generate(account.key, body);
    expect(created.status).toBe(202);
    const task = await waitForSettled(account.key, created.body.id);
    expect(task).toMatchObject({ status: 'completed', credits: { state: 'captured' }, error: null });
    expect(task.assets).toHaveLength(1);
    return task;
  }

  it('local: blends its artwork over the upload at the requested size, deterministically', async () => {
    const request = { model: 'local', prompt: 'stained glass over it', size: '320x240', seed: 7 };
    const [edit, again, textOnly] = await Promise.all([
      completed({ ...request, input_images: [uploadId] }),
      completed({ ...request, input_images: [uploadId] }),
      completed(request),
    ]);
    expect(edit.params.input_images).toEqual([uploadId]);
    expect(edit.assets[0]).toMatchObject({ content_type: 'image/png', width: 320, height: 240 });

    const [edited, plain] = await Promise.all([edit, textOnly].map((task) => download(account.key, task.assets[0].id)));
    expect(sha256(edited.bytes)).toBe(edit.assets[0].sha256);
    const meta = await sharp(edited.bytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 320, 240]);
    expect(edit.assets[0].sha256).not.toBe(textOnly.assets[0].sha256);
    expect(again.assets[0].sha256).toBe(edit.assets[0].sha256);

    // Half of each pixel is the upload's: red shows on the left of the edit, blue on the right.
    const redMinusBlue = async (bytes: Buffer, left: number) => {
      const strip = sharp(bytes).extract({ left, top: 0, width: 40, height: 240 }).removeAlpha();
      const { data } = await strip.raw().toBuffer({ resolveWithObject: true });
      let sum = 0;
      for (let i = 0; i < data.length; i += 3) sum += data[i] - data[i + 2];
      return sum / (data.length / 3);
    };
    const shift = async (left: number) => (await redMinusBlue(edited.bytes, left)) - (await redMinusBlue(plain.bytes, left)) / 2;
    expect(await shift(0)).toBeGreaterThan(40);
    expect(await shift(280)).toBeLessThan(-40);
  });

  it('a provider fake (Replicate): the upload reaches it as a presigned URL on our bucket, and the result is ours', async () => {
    const task = await completed({ model: 'nano-banana-replicate', prompt: 'ownership edit via replicate', input_images: [uploadId] });
    expect(task.params.input_images).toEqual([uploadId]);

    const submitted = fakes.replicate.server.requests
      .filter((request) => request.method === 'POST' && request.body.toString().includes('ownership edit via replicate'))
      .map((request) => JSON.parse(request.body.toString()) as { input: { image_input?: string[] } });
    expect(submitted).toHaveLength(1);
    const [inputUrl] = submitted[0].input.image_input ?? [];
    expect(inputUrl).toContain('X-Amz-Signature=');
    expect(inputUrl.startsWith(system.gatewayUrl)).toBe(false);
    const fetched = await fetch(inputUrl);
    expect(fetched.status).toBe(200);
    expect(sha256(Buffer.from(await fetched.arrayBuffer()))).toBe(sha256(image));

    const result = await download(account.key, task.assets[0].id);
    expect(result.status).toBe(200);
    expect(sha256(result.bytes)).toBe(task.assets[0].sha256);
    expect((await sharp(result.bytes).metadata()).format).toBe('png');
  });

  it('a text-only model (flux-schnell) refuses the same upload before charging', async () => {
    // The balance projection trails the task read model: let the earlier captures land first.
    const before = await eventually(async () => {
      const settled = await balance(account.id);
      return settled.reserved === 0 ? settled : undefined;
    }, 30_000, 'earlier captures in the balance projection');
    const refused = await generate(account.key, { model: 'flux-schnell', prompt: 'edit it', input_images: [uploadId] });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'unsupported_by_model' });
    expect(fields(refused.body)).toEqual(['input_images']);
    await expectBalance(account.id, before);
  });
});
