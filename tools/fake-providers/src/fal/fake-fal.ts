import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { ConcurrencyMeter, FakeServer, fakePng, Occurrences, promptDirectives, sendJson, type FakeRequest } from '../fake-server';
import { defaultFalOptions, type FakeFalOptions } from './fake-fal-options';
import { failedResult, jobUrls, statusView, type FalJob } from './fal-job';
import { forcedStatus, sendForcedFal } from './fal-problems';
import { FalSigningKeys } from './fal-signing-keys';
import { sendFalWebhook, type SentFalWebhook } from './fal-webhooks';

export type { FakeFalOptions } from './fake-fal-options';

/**
 * fal's queue API on loopback: submit on `owner/app[/subpath]`, status/result/cancel on the
 * `owner/app` root, IN_QUEUE → IN_PROGRESS → COMPLETED on real timers, results and media
 * with retention, Ed25519-signed webhooks with a JWKS that can rotate, and per-request chaos
 * from `[fake:…]` prompt directives:
 * - outcome: `moderated` (422 content_policy_violation), `invalid` (422 value_error),
 *   `fail[:<error_type>]` (infrastructure error, 500 by default), `user-timeout` (504, timeout type user);
 * - timing: `queue:<n>` (queue positions n-1 … 0), `latency:<ms>`, `retention:<ms>`;
 * - HTTP: `<status>x<n>` on submit, `poll-<status>x<n>` on status, `result-<status>x<n>` on the result;
 * - webhooks: `lose-webhook`, `duplicate-webhook:<n>`, `redeliver-webhook`, `late-webhook:<ms>`,
 *   `bad-signature` (a key not in the JWKS), `stale-webhook`, `payload-error`, `gateway-retry`.
 */
export class FakeFal {
  readonly server = new FakeServer();
  /** Requests accepted and not yet completed (or removed by a cancel). */
  readonly meter = new ConcurrencyMeter();
  /** Every webhook POST made, retries included. */
  readonly webhooks: SentFalWebhook[] = [];
  private options: FakeFalOptions = defaultFalOptions();
  private readonly keys = new FalSigningKeys();
  private readonly jobs = new Map<string, FalJob>();
  private readonly waiting: FalJob[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly occurrences = new Occurrences();
  private aborter = new AbortController();

  constructor(options: Partial<FakeFalOptions> = {}) {
    this.configure(options);
    const requests = '^\\/([^/]+)\\/([^/]+)\\/requests\\/([^/]+)';
    this.server
      .on('GET', /^\/\.well-known\/jwks\.json$/, (_req, res) =>
        this.options.jwksDown ? sendJson(res, 503, { detail: 'Service unavailable' }) : sendJson(res, 200, this.keys.jwks()),
      )
      .on('GET', /^\/files\/[^/]+\/\d+\.png$/, (req, res) => this.file(req, res))
      .on('GET', new RegExp(`${requests}\\/status$`), (req, res) => this.status(req, res))
      .on('GET', new RegExp(`${requests}$`), (req, res) => this.result(req, res))
      .on('PUT', new RegExp(`${requests}\\/cancel$`), (req, res) => this.cancel(req, res))
      .on('POST', /^\/[^/]+\/[^/]+(\/[^/]+)*$/, (req, res) => this.submit(req, res));
  }

  /** The adapter's base URL: the queue host. */
  get url(): string {
    return this.server.url;
  }

  get jwksUrl(): string {
    return `${this.server.url}/.well-known/jwks.json`;
  }

  configure(options: Partial<FakeFalOptions>): this {
    this.options = { ...this.options, ...options };
    return this;
  }

  /** Publishes a new key and signs with it from now on; the old key stays listed until `dropOldKey`. */
  rotateKey(): void {
    this.keys.rotate();
  }

  dropOldKey(): void {
    this.keys.dropOld();
  }

  async start(): Promise<this> {
    this.aborter = new AbortController();
    await this.server.start();
    return this;
  }

  async stop(): Promise<void> {
    this.aborter.abort();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.server.stop();
  }

  /** The PNG bytes of a request's result images, in order (empty unless it succeeded). */
  imagesOf(requestId: string): readonly Buffer[] {
    return this.jobs.get(requestId)?.images ?? [];
  }

  private submit(req: FakeRequest, res: ServerResponse): void {
    if (!this.authorized(req, res)) return;
    const input = req.json<Record<string, unknown>>();
    if (typeof input !== 'object' || input === null || typeof input['prompt'] !== 'string') {
      return sendJson(res, 422, { detail: [{ loc: ['body', 'prompt'], msg: 'Field required', type: 'missing' }] });
    }
    const directives = promptDirectives(input['prompt']);
    const forced = forcedStatus(directives, '', this.occurrences.next(`submit:${input['prompt']}`));
    if (forced) return sendForcedFal(res, forced, this.retryAfter());
    const endpoint = req.path.slice(1);
    const id = randomUUID();
    const job: FalJob = {
      id,
      gatewayId: directives.has('gateway-retry') ? randomUUID() : id,
      endpoint,
      root: endpoint.split('/').slice(0, 2).join('/'),
      input,
      ...(req.query.get('fal_webhook') ? { webhook: req.query.get('fal_webhook')! } : {}),
      directives,
      status: 'IN_QUEUE',
      queuePosition: Math.max(1, Number(directives.get('queue')) || 1) - 1,
      logs: [],
      cancelRequested: false,
      resultGone: false,
      images: [],
    };
    this.jobs.set(id, job);
    this.meter.enter();
    this.schedule(job, this.options.queueStepMs, () => this.advance(job));
    sendJson(res, 200, { request_id: id, ...jobUrls(this.url, job), status: 'IN_QUEUE', queue_position: job.queuePosition }, { 'x-fal-request-id': id });
  }

  private status(req: FakeRequest, res: ServerResponse): void {
    if (!this.authorized(req, res)) return;
    const job = this.find(req);
    if (!job) return sendJson(res, 404, { detail: 'Request not found' });
    const forced = forcedStatus(job.directives, 'poll-', this.occurrences.next(`poll:${job.id}`));
    if (forced) return sendForcedFal(res, forced, this.retryAfter(), false);
    sendJson(res, 200, statusView(this.url, job, req.query.get('logs') === '1'));
  }

  private result(req: FakeRequest, res: ServerResponse): void {
    if (!this.authorized(req, res)) return;
    const job = this.find(req);
    if (!job) return sendJson(res, 404, { detail: 'Request not found' });
    const forced = forcedStatus(job.directives, 'result-', this.occurrences.next(`result:${job.id}`));
    if (forced) return sendForcedFal(res, forced, this.retryAfter(), false);
    if (!job.result) return sendJson(res, 400, { detail: 'Request is still in progress' });
    if (job.resultGone) return sendJson(res, this.options.goneStatus, { detail: 'Request result is no longer available' });
    sendJson(res, job.result.status, job.result.body, { ...job.result.headers, 'x-fal-request-id': job.id });
  }

  private cancel(req: FakeRequest, res: ServerResponse): void {
    if (!this.authorized(req, res)) return;
    const job = this.find(req);
    if (!job) return sendJson(res, 404, { status: 'NOT_FOUND' });
    if (job.status === 'COMPLETED') return sendJson(res, 400, { status: 'ALREADY_COMPLETED' });
    if (job.status === 'IN_QUEUE') {
      // A queued request is simply removed: no result, no webhook, unknown from now on.
      if (job.timer) clearTimeout(job.timer);
      this.jobs.delete(job.id);
      this.meter.leave();
    } else {
      // A running one is only asked to stop; this fake's "app" ignores the signal and finishes.
      job.cancelRequested = true;
    }
    sendJson(res, 202, { status: 'CANCELLATION_REQUESTED' });
  }

  private file(req: FakeRequest, res: ServerResponse): void {
    const [, , id, name] = req.path.split('/');
    const image = this.jobs.get(id)?.images[Number(name.replace('.png', ''))];
    if (!image) return sendJson(res, 404, { detail: 'File not found' });
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': image.length }).end(image);
  }

  private advance(job: FalJob): void {
    if (job.queuePosition > 0) {
      job.queuePosition -= 1;
      return this.schedule(job, this.options.queueStepMs, () => this.advance(job));
    }
    const running = [...this.jobs.values()].filter((j) => j.status === 'IN_PROGRESS').length;
    if (this.options.activeLimit !== undefined && running >= this.options.activeLimit) {
      job.queuePosition = this.waiting.push(job) - 1;
      return;
    }
    job.status = 'IN_PROGRESS';
    job.startedAt = Date.now();
    job.logs.push({ message: `Running ${job.endpoint}`, level: 'INFO', source: 'user', timestamp: new Date().toISOString() });
    this.schedule(job, Number(job.directives.get('latency')) || this.options.processingMs, () => void this.complete(job));
  }

  private async complete(job: FalJob): Promise<void> {
    const prompt = String(job.input['prompt']);
    job.result = failedResult(job.directives, prompt) ?? (await this.success(job));
    job.status = 'COMPLETED';
    job.completedAt = Date.now();
    job.logs.push({ message: 'Done', level: 'INFO', source: 'user', timestamp: new Date().toISOString() });
    this.meter.leave();
    this.startNextWaiting();
    this.notify(job);
    this.after(Number(job.directives.get('retention')) || this.options.retentionMs, () => (job.resultGone = true));
    this.after(this.options.mediaRetentionMs, () => (job.images = []));
  }

  private async success(job: FalJob) {
    const { input } = job;
    const size = input['image_size'] as { width?: unknown; height?: unknown } | undefined;
    const side = (value: unknown) => (Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 2048 ? (value as number) : this.options.defaultSide);
    const [width, height] = [side(size?.width), side(size?.height)];
    const count = Number.isInteger(input['num_images']) ? Math.min(Math.max(input['num_images'] as number, 1), 4) : 1;
    job.images = await Promise.all(Array.from({ length: count }, (_, index) => fakePng(`${job.id}:${index}`, width, height)));
    const images = job.images.map((png, index) => ({
      url: `${this.server.url}/files/${job.id}/${index}.png`,
      content_type: 'image/png',
      file_name: `${index}.png`,
      file_size: png.length,
      width,
      height,
    }));
    const body = { images, seed: input['seed'] ?? 0, has_nsfw_concepts: images.map(() => false), prompt: input['prompt'] };
    return { status: 200, body, headers: { 'content-type': 'application/json' } };
  }

  private notify(job: FalJob): void {
    if (!job.webhook || !job.result) return;
    const { status, body } = job.result;
    const envelope = { request_id: job.id, gateway_request_id: job.gatewayId };
    const payload = job.directives.has('payload-error')
      ? { ...envelope, status: 'OK', payload: null, payload_error: 'Response payload is not valid JSON: Expecting value: line 1 column 1 (char 0)' }
      : status < 300
        ? { ...envelope, status: 'OK', payload: body }
        : { ...envelope, status: 'ERROR', error: `Invalid status code: ${status}`, payload: body };
    const policy = {
      keys: this.keys,
      userId: this.options.userId,
      attempts: this.options.webhookAttempts,
      retryDelayMs: this.options.webhookRetryDelayMs,
      timeoutMs: this.options.webhookTimeoutMs,
      clockSkewSeconds: this.options.clockSkewSeconds,
    };
    const target = { url: job.webhook, requestId: job.id, body: JSON.stringify(payload), directives: job.directives };
    void sendFalWebhook(target, policy, this.webhooks, this.aborter.signal);
  }

  private startNextWaiting(): void {
    let next = this.waiting.shift();
    while (next && !this.jobs.has(next.id)) next = this.waiting.shift();
    this.waiting.forEach((job, index) => (job.queuePosition = index));
    if (next) this.advance(next);
  }

  /** The job at `/{owner}/{app}/requests/{id}…`, only under its own owner/app root. */
  private find(req: FakeRequest): FalJob | undefined {
    const [, owner, app, , id] = req.path.split('/');
    const job = this.jobs.get(id);
    return job && job.root === `${owner}/${app}` ? job : undefined;
  }

  private authorized(req: FakeRequest, res: ServerResponse): boolean {
    const value = req.headers['authorization'];
    const key = /^Key (.+)$/.exec(typeof value === 'string' ? value : '')?.[1];
    if (key && (this.options.apiKey === undefined || key === this.options.apiKey)) return true;
    sendJson(res, 401, { detail: 'Authentication is required to access this application.' });
    return false;
  }

  private retryAfter(): string {
    const { retryAfterSeconds, retryAfterHttpDate } = this.options;
    return retryAfterHttpDate ? new Date(Date.now() + retryAfterSeconds * 1000).toUTCString() : String(retryAfterSeconds);
  }

  private schedule(job: FalJob, ms: number, run: () => void): void {
    job.timer = this.after(ms, run);
  }

  private after(ms: number, run: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    this.timers.add(timer);
    return timer;
  }
}
