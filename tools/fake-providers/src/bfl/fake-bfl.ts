import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { ConcurrencyMeter, FakeServer, Occurrences, fakePng, promptDirectives, sendJson, sleep, times, type FakeRequest } from '../fake-server';
import { detailsFor, terminalFor, validate, type Terminal } from './fake-bfl-rules';
import { serveHostileSample } from './hostile-samples';
import { bflSignature, deliverWebhook, webhookChaos, type FakeBflWebhook, type WebhookChaos } from './fake-bfl-webhooks';

export type { FakeBflWebhook } from './fake-bfl-webhooks';

export interface FakeBflOptions {
  /** Milliseconds before answering a submit or a poll; `[fake:latency:<ms>]` overrides it for a submit. */
  readonly latencyMs: number;
  /** How long a task stays Pending; `[fake:pending:<ms>]` overrides it per task. */
  readonly pendingMs: number;
  /** How long a `result.sample` URL works after the task is Ready (BFL: 10 minutes); then 403. */
  readonly resultTtlMs: number;
  /** Pending tasks allowed at once (BFL: 24); a submit beyond it gets 429. */
  readonly activeLimit: number;
  /** Whether 429s carry a `Retry-After` header as well as `retry_after` in the body. */
  readonly retryAfterHeader: boolean;
  readonly retryAfterSeconds: number;
  /** When set, any other `x-key` gets 403. */
  readonly apiKey?: string;
  /** Wait between a task ending and its callback; `[fake:late-webhook:<ms>]` overrides it. */
  readonly webhookDelayMs: number;
}

interface ScriptedAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

/** A task as the fake holds it. */
export interface FakeBflTask {
  readonly id: string;
  readonly model: string;
  readonly prompt: string;
  readonly seed: number;
  readonly width: number;
  readonly height: number;
  readonly createdAt: number;
  readonly pendingMs: number;
  readonly outcome: Terminal;
  status: 'Pending' | Terminal;
  readyAt?: number;
  readonly webhook?: { readonly url: string; readonly secret?: string; readonly chaos: WebhookChaos };
  /** `[fake:poll-error:<status>x<N>]`: the next N polls answer with that HTTP status. */
  pollErrors: { readonly status: number; remaining: number };
}

/**
 * BFL's FLUX API on loopback: `POST /v1/{model}` → `{id, polling_url}` with the polling URL on
 * another host name (`localhost` instead of `127.0.0.1`), `GET /v1/get_result?id=`, result
 * files under `/files/`, and signed webhooks. Prompt directives script a task: how it ends
 * (`terminalFor`), how its submit fails (`submitFailure`), `[fake:pending:<ms>]`,
 * `[fake:latency:<ms>]`, `[fake:poll-error:<status>x<N>]`, and its callback's misbehaviour
 * (`webhookChaos`: lose-webhook, duplicate-webhook:<N>, late-webhook:<ms>, bad-signature, unsigned-webhook).
 */
export class FakeBfl {
  readonly server = new FakeServer();
  /** Tasks accepted and not yet terminal; `peak` is the most ever Pending at once. */
  readonly meter = new ConcurrencyMeter();
  readonly webhooks: FakeBflWebhook[] = [];
  private options: FakeBflOptions = {
    latencyMs: 20,
    pendingMs: 100,
    resultTtlMs: 600_000,
    activeLimit: 24,
    retryAfterHeader: true,
    retryAfterSeconds: 1,
    webhookDelayMs: 0,
  };
  private readonly tasks = new Map<string, FakeBflTask>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly occurrences = new Occurrences();

  /** The adapter's `baseUrl` (submits go to 127.0.0.1). */
  get url(): string {
    return this.server.url;
  }

  /** The other host name polling URLs use, like BFL's per-cluster hosts. */
  get pollingBaseUrl(): string {
    return this.server.url.replace('127.0.0.1', 'localhost');
  }

  configure(options: Partial<FakeBflOptions>): this {
    this.options = { ...this.options, ...options };
    return this;
  }

  async start(): Promise<this> {
    this.server
      .on('GET', /^\/v1\/get_result$/, (request, res) => this.getResult(request, res))
      .on('POST', /^\/v1\/([a-z0-9.-]+)$/, (request, res) => this.submit(request, res))
      .on('GET', /^\/files\/([^/]+)\/sample\.png$/, (request, res) => this.sample(request, res));
    await this.server.start();
    return this;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.server.stop();
  }

  task(id: string): FakeBflTask | undefined {
    return this.tasks.get(id);
  }

  /** The bytes `result.sample` serves for a task with this prompt, seed and size. */
  expectedImage(prompt: string, seed: number, width: number, height: number): Promise<Buffer> {
    return fakePng(`bfl:${prompt}:${seed}`, width, height);
  }

  private async submit(request: FakeRequest, res: ServerResponse): Promise<void> {
    if (!this.authorized(request)) return sendJson(res, 403, { detail: 'Not authenticated - Invalid Authentication' });
    const body = request.json<Record<string, unknown>>();
    const invalid = validate(body);
    if (invalid) return sendJson(res, 422, { detail: [invalid] });

    const prompt = body!.prompt as string;
    const directives = promptDirectives(prompt);
    const seen = this.occurrences.next(prompt);
    await sleep(Number(directives.get('latency') ?? this.options.latencyMs));
    const failure = this.submitFailure(directives, seen, body!);
    if (failure) return sendJson(res, failure.status, failure.body, failure.headers);
    if (this.meter.active >= this.options.activeLimit) {
      const message = `You have exceeded the maximum number of active tasks (${this.options.activeLimit}). Wait for a task to finish.`;
      return this.rateLimited(res, message);
    }

    const task = this.createTask(request, body!, directives);
    const inputMp = Object.keys(body!).filter((key) => /^input_image(_\d)?$/.test(key)).length;
    const outputMp = Math.round((task.width * task.height) / 10_000) / 100;
    sendJson(res, 200, {
      id: task.id,
      polling_url: `${this.pollingBaseUrl}/v1/get_result?id=${task.id}`,
      // Illustrative pricing: credits scale with the megapixels in and out.
      cost: Math.round((inputMp + outputMp) * 150) / 100,
      input_mp: inputMp,
      output_mp: outputMp,
    });
  }

  /**
   * Scripted submit failures: `[fake:429x<N>]`, `[fake:500x<N>]`, `[fake:503x<N>]` (the first N
   * submits with this exact prompt), `[fake:402]`, `[fake:422]`.
   */
  private submitFailure(directives: ReadonlyMap<string, string>, seen: number, body: Record<string, unknown>): ScriptedAnswer | undefined {
    if (directives.has('402')) return { status: 402, body: { detail: 'Insufficient credits. Please add credits to your account.' } };
    if (directives.has('422')) {
      return { status: 422, body: { detail: [{ type: 'value_error', loc: ['body', 'safety_tolerance'], msg: 'Input should be less than or equal to 6', input: body.safety_tolerance ?? 9 }] } };
    }
    if (seen <= times(directives, 429)) return { status: 429, ...this.rateLimitBody('Too many requests. Slow down.') };
    if (seen <= times(directives, 500)) return { status: 500, body: { detail: 'Internal Server Error' } };
    if (seen <= times(directives, 503)) return { status: 503, body: { detail: 'Service temporarily unavailable' } };
    return undefined;
  }

  private rateLimitBody(message: string) {
    const retryAfter = this.options.retryAfterSeconds;
    const headers: Record<string, string> = this.options.retryAfterHeader ? { 'retry-after': String(retryAfter) } : {};
    return { body: { error: 'rate_limit_exceeded', message, retry_after: retryAfter }, headers };
  }

  private rateLimited(res: ServerResponse, message: string): void {
    const { body, headers } = this.rateLimitBody(message);
    sendJson(res, 429, body, headers);
  }

  private createTask(request: FakeRequest, body: Record<string, unknown>, directives: ReadonlyMap<string, string>): FakeBflTask {
    const pollError = /^(\d{3})x(\d+)$/.exec(directives.get('poll-error') ?? '');
    const webhookUrl = typeof body.webhook_url === 'string' ? body.webhook_url : undefined;
    const secret = typeof body.webhook_secret === 'string' ? body.webhook_secret : undefined;
    const task: FakeBflTask = {
      id: randomUUID(),
      model: request.path.slice('/v1/'.length),
      prompt: body.prompt as string,
      seed: typeof body.seed === 'number' ? body.seed : 0,
      width: typeof body.width === 'number' ? body.width : 1024,
      height: typeof body.height === 'number' ? body.height : 1024,
      createdAt: Date.now(),
      pendingMs: Number(directives.get('pending') ?? this.options.pendingMs),
      outcome: terminalFor(directives),
      status: 'Pending',
      ...(webhookUrl ? { webhook: { url: webhookUrl, ...(secret ? { secret } : {}), chaos: webhookChaos(directives, this.options.webhookDelayMs) } } : {}),
      pollErrors: { status: pollError ? Number(pollError[1]) : 0, remaining: pollError ? Number(pollError[2]) : 0 },
    };
    this.tasks.set(task.id, task);
    if (task.outcome === 'Request Moderated') {
      // Refused before it ever ran: never Pending, so it takes no slot.
      this.finish(task);
    } else {
      this.meter.enter();
      this.later(task.pendingMs, () => {
        this.meter.leave();
        this.finish(task);
      });
    }
    return task;
  }

  private finish(task: FakeBflTask): void {
    task.status = task.outcome;
    if (task.status === 'Ready') task.readyAt = Date.now();
    const webhook = task.webhook;
    if (!webhook || webhook.chaos.lose) return;
    const body = JSON.stringify(this.callbackBody(task));
    const signingSecret = webhook.chaos.badSignature ? 'not-the-webhook-secret' : webhook.secret;
    const signature = signingSecret && !webhook.chaos.unsigned ? bflSignature(signingSecret, body) : undefined;
    this.later(webhook.chaos.delayMs, async () => {
      for (let copy = 0; copy < webhook.chaos.copies; copy += 1) this.webhooks.push(await deliverWebhook(task.id, webhook.url, body, signature));
    });
  }

  private async getResult(request: FakeRequest, res: ServerResponse): Promise<void> {
    if (!this.authorized(request)) return sendJson(res, 403, { detail: 'Not authenticated - Invalid Authentication' });
    await sleep(this.options.latencyMs);
    const id = request.query.get('id') ?? '';
    const task = this.tasks.get(id);
    if (!task) return sendJson(res, 200, { id, status: 'Task not found' });
    if (task.pollErrors.remaining > 0) {
      task.pollErrors.remaining -= 1;
      if (task.pollErrors.status === 429) return this.rateLimited(res, 'Too many requests. Slow down.');
      return sendJson(res, task.pollErrors.status, { detail: 'Service temporarily unavailable' });
    }
    const progress = task.status === 'Pending' ? Math.min(0.99, Math.round(((Date.now() - task.createdAt) / task.pendingMs) * 100) / 100) : null;
    const ready = task.status === 'Ready' ? { result: this.callbackBody(task).result } : { result: null };
    sendJson(res, 200, { id, status: task.status, ...ready, progress, details: detailsFor(task.status), preview: null });
  }

  private async sample(request: FakeRequest, res: ServerResponse): Promise<void> {
    const id = /^\/files\/([^/]+)\//.exec(request.path)![1];
    const task = this.tasks.get(id);
    if (!task || task.readyAt === undefined) return sendJson(res, 404, { detail: 'Not Found' });
    if (Date.now() > task.readyAt + this.options.resultTtlMs) {
      const xml = '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Signed expiry time has passed.</Message></Error>';
      res.writeHead(403, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
      return void res.end(xml);
    }
    const hostile = promptDirectives(task.prompt).get('sample');
    if (hostile) return serveHostileSample(hostile, res);
    const png = await this.expectedImage(task.prompt, task.seed, task.width, task.height);
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length });
    res.end(png);
  }

  private callbackBody(task: FakeBflTask) {
    const timestamp = Math.floor(Date.now() / 1000);
    if (task.status === 'Ready') {
      const expires = new Date(task.readyAt! + this.options.resultTtlMs).toISOString();
      const sample = `${this.server.url}/files/${task.id}/sample.png?se=${encodeURIComponent(expires)}&sig=fake`;
      return { id: task.id, status: task.status, result: { sample, prompt: task.prompt, seed: task.seed }, timestamp };
    }
    return { id: task.id, status: task.status, error: task.status, message: `Task ${task.id} ended: ${task.status}`, timestamp };
  }

  private authorized(request: FakeRequest): boolean {
    return this.options.apiKey === undefined || request.headers['x-key'] === this.options.apiKey;
  }

  private later(ms: number, run: () => void | Promise<void>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void run();
    }, ms);
    this.timers.add(timer);
  }
}
