import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeFal, FakeServer } from '@darkroom/fake-providers';
import type { JobObservation, ProviderJobRef, ProviderSubmitRequest, SubmitOutcome } from '../image-provider';
import { FalProvider } from './fal.provider';
import { submitRequest } from '../provider-request.fixtures';

const fake = new FakeFal({ queueStepMs: 40, processingMs: 40 });
let provider: FalProvider;
const settings = () => ({ baseUrl: fake.url, apiKey: 'fal_test', requestTimeoutMs: 2000, jwksUrl: fake.jwksUrl, webhookToleranceSeconds: 300 });

beforeAll(async () => {
  await fake.start();
  provider = new FalProvider(settings());
});
afterAll(() => fake.stop());

describe('FalProvider text to image', () => {
  it('submits, walks the queue down, and links the fake’s PNG', async () => {
    const job = accepted(await provider.submit(request({ prompt: 'a red fox [fake:queue:3]' })));
    const id = job.providerJobId;
    const root = `${fake.url}/fal-ai/nano-banana/requests/${id}`;
    expect(job).toEqual({ providerJobId: id, providerModel: 'fal-ai/nano-banana', handle: { status: `${root}/status`, response: root, cancel: `${root}/cancel` } });

    const [sent] = fake.server.received('POST', /^\/fal-ai\/nano-banana$/).filter((r) => r.body.includes('a red fox'));
    expect(sent.headers.authorization).toBe('Key fal_test');
    expect(JSON.parse(sent.body.toString())).toEqual({
      prompt: 'a red fox [fake:queue:3]',
      num_images: 1,
      seed: 42,
      output_format: 'png',
      image_size: { width: 96, height: 64 },
    });

    const seen: JobObservation[] = [];
    const done = await settle(job, seen);
    const positions = seen.filter((o) => o.providerStatus === 'IN_QUEUE').map((o) => (o as { queuePosition?: number }).queuePosition);
    // The queue moves every 50 ms; a busy machine may poll late and miss a step, never see one go up.
    expect(positions.length).toBeGreaterThan(0);
    expect(positions.every((position) => position !== undefined && position >= 0 && position <= 2)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => b! - a!));
    expect(seen.some((o) => o.providerStatus === 'IN_PROGRESS')).toBe(true);

    expect(done).toEqual({
      kind: 'succeeded',
      providerStatus: 'COMPLETED',
      images: [{ kind: 'url', url: `${fake.server.url}/files/${id}/0.png`, contentType: 'image/png' }],
    });
    const bytes = Buffer.from(await (await fetch(`${fake.server.url}/files/${id}/0.png`)).arrayBuffer());
    expect(bytes.equals(fake.imagesOf(id)[0])).toBe(true);
    expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([96, 64]);
  });

  it('edits on the subpath with image_urls, and follows the job on the owner/app root', async () => {
    const target = Buffer.from('target');
    const job = accepted(
      await provider.submit(
        request({
          prompt: 'make it blue',
          providerModel: 'fal-ai/nano-banana/edit',
          inputImages: [{ bytes: target, contentType: 'image/png' }],
          referenceImages: [{ bytes: target, contentType: 'image/png', url: 'https://bucket/ref.png' }],
        }),
      ),
    );
    const [sent] = fake.server.received('POST', /^\/fal-ai\/nano-banana\/edit$/);
    expect(JSON.parse(sent.body.toString()).image_urls).toEqual([`data:image/png;base64,${target.toString('base64')}`, 'https://bucket/ref.png']);
    expect(job.handle?.['status']).toBe(`${fake.url}/fal-ai/nano-banana/requests/${job.providerJobId}/status`);
    expect((await settle({ providerJobId: job.providerJobId, providerModel: job.providerModel })).kind).toBe('succeeded');
  });
});

describe('FalProvider failures', () => {
  it('maps a content policy violation to content_moderated without retry', async () => {
    expect(await settle(accepted(await provider.submit(request({ prompt: 'x [fake:moderated]' }))))).toMatchObject({
      kind: 'failed',
      providerStatus: 'COMPLETED',
      failure: { code: 'content_moderated', retryable: false, detail: { httpStatus: 422, body: { detail: [{ type: 'content_policy_violation' }] } } },
    });
  });

  it('retries infrastructure failures, but not the caller’s own timeout', async () => {
    expect(await settle(accepted(await provider.submit(request({ prompt: 'x [fake:fail]' }))))).toEqual({
      kind: 'failed',
      providerStatus: 'COMPLETED',
      failure: {
        code: 'provider_error',
        retryable: true,
        detail: { httpStatus: 500, body: { detail: 'The request failed (runner_server_error)', error_type: 'runner_server_error' }, errorType: 'runner_server_error' },
      },
    });
    expect(await settle(accepted(await provider.submit(request({ prompt: 'y [fake:fail:runner_disconnected]' }))))).toMatchObject({
      failure: { code: 'provider_error', retryable: true, detail: { httpStatus: 503, errorType: 'runner_disconnected' } },
    });
    expect(await settle(accepted(await provider.submit(request({ prompt: 'z [fake:user-timeout]' }))))).toMatchObject({
      failure: { code: 'timeout', retryable: false, detail: { httpStatus: 504, errorType: 'request_timeout' } },
    });
  });

  it('rejects invalid input without retry', async () => {
    expect(await settle(accepted(await provider.submit(request({ prompt: 'x [fake:invalid]' }))))).toMatchObject({
      failure: { code: 'provider_rejected', retryable: false, detail: { httpStatus: 422 } },
    });
    expect(await provider.submit(request({ prompt: 'y [fake:422x1]' }))).toMatchObject({ kind: 'failed', failure: { code: 'provider_rejected', retryable: false } });
  });

  it('retries a throttled or failing submit, with Retry-After', async () => {
    expect(await provider.submit(request({ prompt: 'busy [fake:429x1]' }))).toEqual({
      kind: 'failed',
      failure: { code: 'provider_error', retryable: true, retryAfterSeconds: 1, detail: { httpStatus: 429, body: { detail: 'Too many requests' } } },
    });
    expect((await provider.submit(request({ prompt: 'busy [fake:429x1]' }))).kind).toBe('accepted');
    expect(await provider.submit(request({ prompt: 'down [fake:503x1]' }))).toMatchObject({
      failure: { code: 'provider_error', retryable: true, detail: { httpStatus: 503, errorType: 'runner_scheduling_failure' } },
    });
  });

  it('stays pending through status and result trouble, then succeeds', async () => {
    const job = accepted(await provider.submit(request({ prompt: 'shaky [fake:poll-503x1] [fake:poll-429x1] [fake:result-502x1]' })));
    expect(await provider.poll(job)).toEqual({ kind: 'pending', providerStatus: 'poll_error:503' });
    expect(await provider.poll(job)).toEqual({ kind: 'pending', providerStatus: 'poll_error:429' });
    const seen: JobObservation[] = [];
    expect((await settle(job, seen)).kind).toBe('succeeded');
    expect(seen.map((o) => o.providerStatus)).toContain('poll_error:502');
  });

  it('fails an unknown request and an expired result without retry', async () => {
    expect(await provider.poll({ providerJobId: 'no-such-request', providerModel: 'fal-ai/nano-banana' })).toMatchObject({
      kind: 'failed',
      failure: { code: 'provider_error', retryable: false, detail: { httpStatus: 404 } },
    });
    for (const gone of [410, 404] as const) {
      fake.configure({ goneStatus: gone });
      const job = accepted(await provider.submit(request({ prompt: `brief ${gone} [fake:retention:30]` })));
      await settle(job);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await provider.poll(job)).toMatchObject({ kind: 'failed', failure: { code: 'provider_error', retryable: false, detail: { httpStatus: gone } } });
    }
  });

  it('treats a network failure as retryable on submit and as a poll error on poll', async () => {
    const closed = await new FakeServer().start();
    const url = closed.url;
    await closed.stop();
    const offline = new FalProvider({ ...settings(), baseUrl: url });
    expect(await offline.submit(request())).toMatchObject({ kind: 'failed', failure: { code: 'provider_error', retryable: true } });
    expect(await offline.poll({ providerJobId: 'r', providerModel: 'fal-ai/x' })).toEqual({ kind: 'pending', providerStatus: 'poll_error:network' });
  });
});

describe('FalProvider cancel', () => {
  it('removes a queued request, lets a running one finish, and ignores a completed one', async () => {
    const queued = accepted(await provider.submit(request({ prompt: 'queued [fake:queue:50]' })));
    const before = fake.meter.active;
    await provider.cancel(queued);
    expect(fake.meter.active).toBe(before - 1);
    expect(fake.server.received('PUT', new RegExp(`^/fal-ai/nano-banana/requests/${queued.providerJobId}/cancel$`))).toHaveLength(1);
    expect(await provider.poll(queued)).toMatchObject({ kind: 'failed', failure: { detail: { httpStatus: 404 } } });

    const running = accepted(await provider.submit(request({ prompt: 'running [fake:latency:150]' })));
    await settleUntil(running, 'IN_PROGRESS');
    await provider.cancel(running);
    expect((await settle(running)).kind).toBe('succeeded');
    await expect(provider.cancel(running)).resolves.toBeUndefined();
  });
});

function accepted(outcome: SubmitOutcome): ProviderJobRef {
  if (outcome.kind !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(outcome)}`);
  return outcome.job;
}

async function settleUntil(job: ProviderJobRef, status: string): Promise<void> {
  for (let i = 0; i < 200 && (await provider.poll(job)).providerStatus !== status; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
}

async function settle(job: ProviderJobRef, seen: JobObservation[] = []): Promise<JobObservation> {
  for (let i = 0; i < 200; i += 1) {
    const observation = await provider.poll(job);
    seen.push(observation);
    if (observation.kind !== 'pending') return observation;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the request never finished');
}

const request = (overrides: Partial<ProviderSubmitRequest> = {}): ProviderSubmitRequest =>
  submitRequest({ providerModel: 'fal-ai/nano-banana', prompt: 'a cat', width: 96, height: 64, seed: 42, ...overrides });
