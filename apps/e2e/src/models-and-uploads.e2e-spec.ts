import { createHash, randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { S3ObjectStorage } from '@darkroom/object-storage';
import { call, eventually, type Body } from './support/api';
import { flows, type Account } from './support/flows';
import { startSystem, type System } from './support/system';

jest.setTimeout(360_000);

let system: System;

beforeAll(async () => {
  system = await startSystem('e2e_models_uploads');
});
afterAll(async () => {
  await system?.stop();
});

const { balance, expectBalance, createAccount, generate, upload } = flows(() => system);

async function tasksCreatedBy(accountId: string): Promise<number> {
  const { rows } = await system.db.sql.query(
    `SELECT 1 FROM events WHERE metadata->>'accountId' = $1 AND type = 'GenerationCreated'`,
    [accountId],
  );
  return rows.length;
}

const png = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 30, g: 90, b: 160 } } }).png().toBuffer();
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const fields = (body: Body): string[] => body.errors.map((error: { field: string }) => error.field).sort();

describe('GET /v1/models', () => {
  it('needs an API key', async () => {
    const response = await call(system.gatewayUrl, 'GET', '/v1/models');
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ code: 'unauthorized' });
  });

  it('lists the seven shipped models with their prices; only local is available without provider keys', async () => {
    const account = await createAccount(0);
    const response = await call(system.gatewayUrl, 'GET', '/v1/models', { key: account.key });
    expect(response.status).toBe(200);
    expect(response.body.object).toBe('list');
    const byId = Object.fromEntries(response.body.data.map((model: Body) => [model.id, model]));
    expect(Object.keys(byId).sort()).toEqual(
      ['flux-2-pro', 'flux-schnell', 'gpt-image-1', 'local', 'nano-banana', 'nano-banana-fal', 'nano-banana-replicate'].sort(),
    );
    const prices = Object.fromEntries(Object.entries(byId).map(([id, model]) => [id, (model as Body).pricing.per_image]));
    expect(prices).toEqual({
      local: 1,
      'gpt-image-1': 4,
      'nano-banana': 3,
      'flux-2-pro': 5,
      'nano-banana-replicate': 3,
      'flux-schnell': 1,
      'nano-banana-fal': 3,
    });
    const available = Object.entries(byId).filter(([, model]) => (model as Body).available).map(([id]) => id);
    expect(available).toEqual(['local']);
    expect(byId['local']).toEqual({
      id: 'local',
      object: 'model',
      provider: 'local',
      description: expect.any(String),
      available: true,
      health: 'healthy',
      capabilities: {
        text_to_image: true,
        edit: true,
        reference_images: false,
        max_input_images: 1,
        max_n: 4,
        min_side: 16,
        max_side: 2048,
      },
      defaults: { size: '512x512' },
      pricing: { unit: 'credits', per_image: 1, prices: [] },
      deadline_seconds: 600,
      max_attempts: 1,
      fallbacks: [],
    });
    expect(byId['gpt-image-1'].pricing.prices).toEqual(
      expect.arrayContaining([
        { size: '1024x1024', quality: 'low', per_image: 1 },
        { size: '1024x1024', quality: 'high', per_image: 16 },
        { size: '1536x1024', quality: 'low', per_image: 1.5 },
      ]),
    );
    expect(byId['nano-banana']).toMatchObject({
      capabilities: { edit: true, aspect_ratios: expect.arrayContaining(['16:9']) },
      fallbacks: ['nano-banana-fal'],
    });
    expect(byId['flux-schnell']).toMatchObject({
      provider: 'replicate',
      available: false,
      capabilities: { text_to_image: true, edit: false, reference_images: false, max_input_images: 0, max_n: 4 },
      defaults: { aspect_ratio: '1:1' },
    });
  });
});

describe('POST /v1/uploads', () => {
  let owner: Account;
  beforeAll(async () => {
    owner = await createAccount(0);
  });

  it('stores a real PNG and returns its sha256 and dimensions (201)', async () => {
    const bytes = await png(96, 64);
    const response = await upload(owner.key, bytes);
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      object: 'upload',
      content_type: 'image/png',
      bytes: bytes.length,
      width: 96,
      height: 64,
      sha256: sha256(bytes),
      created_at: expect.any(String),
    });
    expect(Date.parse(response.body.created_at)).not.toBeNaN();

    const read = await call(system.gatewayUrl, 'GET', `/v1/uploads/${response.body.id}`, { key: owner.key });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(response.body);

    const objects = new S3ObjectStorage({
      endpoint: system.env['S3_ENDPOINT'],
      region: 'us-east-1',
      bucket: system.env['S3_BUCKET']!,
      accessKeyId: system.env['S3_ACCESS_KEY_ID']!,
      secretAccessKey: system.env['S3_SECRET_ACCESS_KEY']!,
      forcePathStyle: true,
    });
    try {
      const stored = await objects.getObject(`accounts/${owner.id}/uploads/${response.body.id}.png`);
      stored.body.destroy();
      expect(stored).toMatchObject({ contentType: 'image/png', contentLength: bytes.length, metadata: { sha256: sha256(bytes) } });
      expect(sha256(await objects.getObjectBytes(`accounts/${owner.id}/uploads/${response.body.id}.png`))).toBe(sha256(bytes));
    } finally {
      objects.destroy();
    }
  });

  it('sniffs JPEG and WebP from the bytes whatever the part claims', async () => {
    const jpeg = await sharp(await png(40, 30)).jpeg().toBuffer();
    const webp = await sharp(await png(40, 30)).webp().toBuffer();
    expect((await upload(owner.key, jpeg, 'photo.png', 'image/png')).body).toMatchObject({ content_type: 'image/jpeg', width: 40 });
    expect((await upload(owner.key, webp, 'x.bin', 'application/octet-stream')).body).toMatchObject({ content_type: 'image/webp' });
  });

  it('refuses a text file dressed as a PNG with 415', async () => {
    const response = await upload(owner.key, Buffer.from('definitely not pixels\n'), 'cat.png', 'image/png');
    expect(response.status).toBe(415);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body).toMatchObject({ code: 'unsupported_media_type', status: 415 });
  });

  it('refuses a truncated PNG with 400 invalid_image', async () => {
    const bytes = await png(200, 200);
    const response = await upload(owner.key, bytes.subarray(0, bytes.length - 40));
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'invalid_image' });
  });

  it('refuses a file over 20 MB with 413 upload_too_large', async () => {
    const response = await upload(owner.key, Buffer.alloc(20 * 1024 * 1024 + 1, 1));
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ code: 'upload_too_large', status: 413 });
  });

  it('refuses a request without a file part, and one without a key', async () => {
    const empty = await call(system.gatewayUrl, 'POST', '/v1/uploads', { key: owner.key, body: { file: 'x' } });
    expect(empty.status).toBe(400);
    expect(fields(empty.body)).toEqual(['file']);
    expect((await upload('drk_00000000_not-a-real-key-at-all-xxxx', await png(8, 8))).status).toBe(401);
  });

  it("hides another account's upload (404)", async () => {
    const mine = await upload(owner.key, await png(8, 8));
    const other = await createAccount(0);
    const response = await call(system.gatewayUrl, 'GET', `/v1/uploads/${mine.body.id}`, { key: other.key });
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ code: 'upload_not_found' });
    expect((await call(system.gatewayUrl, 'GET', '/v1/uploads/not-a-uuid', { key: other.key })).status).toBe(404);
  });
});

describe('POST /v1/generations checks what the model and the uploads allow before charging', () => {
  let account: Account;
  let ownUpload: string;
  let othersUpload: string;

  beforeAll(async () => {
    account = await createAccount(5);
    ownUpload = (await upload(account.key, await png(32, 32))).body.id;
    const other = await createAccount(0);
    othersUpload = (await upload(other.key, await png(32, 32))).body.id;
  });

  /** The request was refused with nothing appended and nothing reserved. */
  async function expectNothingCharged(): Promise<void> {
    expect(await tasksCreatedBy(account.id)).toBe(0);
    await expectBalance(account.id, { available: 5, reserved: 0 });
  }

  it("refuses another account's upload in input_images as upload_not_found", async () => {
    const response = await generate(account.key, { model: 'local', prompt: 'edit it', input_images: [othersUpload] });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'upload_not_found' });
    expect(fields(response.body)).toEqual(['input_images']);
    await expectNothingCharged();
  });

  it('refuses an unknown upload id in reference_images, naming that field', async () => {
    const response = await generate(account.key, { model: 'local', prompt: 'x', reference_images: [randomUUID()] });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'upload_not_found' });
    expect(fields(response.body)).toEqual(['reference_images']);
    await expectNothingCharged();
  });

  // The text-only flux-schnell refusing an edit is in providers.e2e-spec.ts: here no provider key
  // is set, so it would be refused as model_unavailable first.
  it('refuses reference images and a second input image on local, which edits one image', async () => {
    const references = await generate(account.key, { model: 'local', prompt: 'like this', reference_images: [ownUpload] });
    expect(references.status).toBe(400);
    expect(references.body).toMatchObject({ code: 'unsupported_by_model' });
    expect(fields(references.body)).toEqual(['reference_images']);
    const two = await generate(account.key, { model: 'local', prompt: 'edit both', input_images: [ownUpload, ownUpload] });
    expect(two.status).toBe(400);
    expect(two.body).toMatchObject({ code: 'unsupported_by_model' });
    expect(fields(two.body)).toEqual(['input_images']);
    await expectNothingCharged();
  });

  it('refuses flux-schnell here as model_unavailable: its provider has no key', async () => {
    const response = await generate(account.key, { model: 'flux-schnell', prompt: 'edit it', input_images: [ownUpload] });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'model_unavailable', field: 'model', provider: 'replicate' });
    await expectNothingCharged();
  });

  it('refuses a size, ratio or quality the model does not offer', async () => {
    const size = await generate(account.key, { model: 'local', prompt: 'x', size: '4000x4000' });
    expect(size.status).toBe(400);
    expect(size.body).toMatchObject({ code: 'unsupported_by_model' });
    expect(fields(size.body)).toEqual(['size']);
    const other = await generate(account.key, { model: 'local', prompt: 'x', aspect_ratio: '16:9', quality: 'high' });
    expect(other.status).toBe(400);
    expect(fields(other.body)).toEqual(['aspect_ratio', 'quality']);
    await expectNothingCharged();
  });

  it('refuses a model whose provider is not configured as model_unavailable', async () => {
    const response = await generate(account.key, { model: 'gpt-image-1', prompt: 'x' });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'model_unavailable', field: 'model' });
    await expectNothingCharged();
  });

  it('refuses malformed upload lists at the edge', async () => {
    const response = await generate(account.key, {
      model: 'local',
      prompt: 'x',
      input_images: ['not-a-uuid'],
      reference_images: Array.from({ length: 17 }, () => randomUUID()),
      aspect_ratio: 'wide',
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'invalid_request' });
    expect(new Set(fields(response.body))).toEqual(new Set(['input_images', 'reference_images', 'aspect_ratio']));
    await expectNothingCharged();
  });

  it("applies the model's default size when none is given, and shows the params", async () => {
    const response = await generate(account.key, { model: 'local', prompt: 'defaults', seed: 3 });
    expect(response.status).toBe(202);
    expect(response.body.params).toEqual({
      negative_prompt: null,
      size: '512x512',
      aspect_ratio: null,
      quality: null,
      n: 1,
      seed: 3,
      output_format: 'png',
      input_images: [],
      reference_images: [],
    });
    expect(response.body.credits).toMatchObject({ price: 1 });
  });
});

describe('POST /v1/generations/{id}/cancel', () => {
  let account: Account;
  let taskId: string;

  beforeAll(async () => {
    account = await createAccount(4);
  });

  it('cancels a running task (200) and gives the credits back', async () => {
    const created = await generate(account.key, { model: 'local', prompt: 'a very slow cat [slow:30000]', n: 2 });
    expect(created.status).toBe(202);
    taskId = created.body.id;
    // Cancel once the ledger holds the credits, so that giving them back is observable.
    await eventually(async () => ((await balance(account.id)).reserved === 2 ? true : undefined), 30_000, 'reservation');

    const canceled = await call(system.gatewayUrl, 'POST', `/v1/generations/${taskId}/cancel`, { key: account.key });
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ id: taskId, object: 'generation', status: 'canceled', assets: [], credits: { price: 2, state: 'released' } });
    expect(Date.parse(canceled.body.canceled_at)).not.toBeNaN();

    await eventually(
      async () => {
        const now = await balance(account.id);
        return now.available === 4 && now.reserved === 0 ? now : undefined;
      },
      30_000,
      'credits released',
    );
    const read = await call(system.gatewayUrl, 'GET', `/v1/generations/${taskId}`, { key: account.key });
    expect(read.body).toMatchObject({ status: 'canceled' });
  });

  it('refuses to cancel it again with 409 generation_not_cancelable', async () => {
    const again = await call(system.gatewayUrl, 'POST', `/v1/generations/${taskId}/cancel`, { key: account.key });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'generation_not_cancelable', status: 409, task_id: taskId });
    expect(again.body).not.toHaveProperty('taskId');
  });

  it("answers 404 for another account's task and for unknown ids", async () => {
    const other = await createAccount(0);
    for (const id of [taskId, randomUUID(), 'not-a-uuid']) {
      const response = await call(system.gatewayUrl, 'POST', `/v1/generations/${id}/cancel`, { key: other.key });
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({ code: 'generation_not_found' });
    }
    const { rows } = await system.db.sql.query(
      `SELECT 1 FROM events WHERE metadata->>'correlationId' = $1 AND type = 'GenerationCanceled'`,
      [taskId],
    );
    expect(rows).toHaveLength(1);
  });
});
