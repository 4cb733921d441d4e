import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { ConcurrencyMeter, FakeServer, fakePng, Occurrences, promptDirectives, sendJson, type FakeRequest } from '../fake-server';
import { defaultReplicateOptions, type FakeReplicateOptions } from './fake-replicate-options';
import { predictionView, terminal, type FakePrediction, type PredictionStatus } from './replicate-prediction-view';
import { forcedStatus, sendForced, sendProblem } from './replicate-problems';
import { sendWebhook, type SentWebhook } from './replicate-webhooks';

export type { FakeReplicateOptions } from './fake-replicate-options';

type CreateTarget = { readonly model: string; readonly version: string; readonly deployment?: string };

/**
 * Replicate's predictions API on loopback: the three create paths, `starting` → `processing`
 * → terminal on real timers, output files on the fake's own `/files/…` ("replicate.delivery"),
 * retention, cancel, Standard Webhooks, and per-request chaos from `[fake:…]` prompt directives:
 * - outcome: `fail[:<error text>]`, `moderated` (failed, NSFW error), `aborted`; timing: `cold:<ms>`,
 *   `latency:<ms>`, `retention:<ms>`; output: `array-output`, `data-uri`, `early-output`;
 * - HTTP: `<status>x<n>` on create (429 with Retry-After, 502 as HTML), `poll-<status>x<n>` on GET;
 * - webhooks: `lose-webhook`, `duplicate-webhook:<n>`, `redeliver-webhook`, `late-webhook:<ms>`,
 *   `bad-signature`, `stale-webhook`.
 * Image i of a prediction is `fakePng('<id>:<i>', width, height)`, also given by `imagesOf(id)`.
 */
export class FakeReplicate {
  readonly server = new FakeServer();
  /** Predictions accepted and not yet terminal. */
  readonly meter = new ConcurrencyMeter();
  /** Every webhook POST made, retries included. */
  readonly webhooks: SentWebhook[] = [];
  private options: FakeReplicateOptions = defaultReplicateOptions();
  private readonly predictions = new Map<string, FakePrediction>();
  private readonly waiting: FakePrediction[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly occurrences = new Occurrences();
  private aborter = new AbortController();

  constructor(options: Partial<FakeReplicateOptions> = {}) {
    this.configure(options);
    const model = (req: FakeRequest, deployment: boolean): CreateTarget => {
      const [, owner, name] = /^\/v1\/\w+\/([^/]+)\/([^/]+)\//.exec(req.path) ?? [];
      return deployment ? { model: `${owner}/${name}`, version: 'hidden', deployment: `${owner}/${name}` } : { model: `${owner}/${name}`, version: 'hidden' };
    };
    this.server
      .on('POST', /^\/v1\/predictions$/, (req, res) => this.create(req, res))
      .on('POST', /^\/v1\/models\/[^/]+\/[^/]+\/predictions$/, (req, res) => this.create(req, res, model(req, false)))
      .on('POST', /^\/v1\/deployments\/[^/]+\/[^/]+\/predictions$/, (req, res) => this.create(req, res, model(req, true)))
      .on('GET', /^\/v1\/predictions\/[^/]+$/, (req, res) => this.get(req, res))
      .on('POST', /^\/v1\/predictions\/[^/]+\/cancel$/, (req, res) => this.cancelRoute(req, res))
      .on('GET', /^\/v1\/webhooks\/default\/secret$/, (req, res) => {
        if (this.authorized(req, res)) sendJson(res, 200, { key: this.options.webhookSecret });
      })
      .on('GET', /^\/files\/[^/]+\/\d+\.png$/, (req, res) => this.file(req, res));
  }

  /** The adapter's base URL (`…/v1`). */
  get url(): string {
    return `${this.server.url}/v1`;
  }

  get webhookSecret(): string {
    return this.options.webhookSecret;
  }

  configure(options: Partial<FakeReplicateOptions>): this {
    this.options = { ...this.options, ...options };
    return this;
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

  /** The PNG bytes behind a prediction's output, in order (empty before success or after removal). */
  imagesOf(id: string): readonly Buffer[] {
    return this.predictions.get(id)?.images ?? [];
  }

  /** The prediction as the API would show it now, or undefined for an unknown id. */
  prediction(id: string): Record<string, unknown> | undefined {
    const prediction = this.predictions.get(id);
    return prediction && predictionView(prediction, this.url);
  }

  private async create(req: FakeRequest, res: ServerResponse, target?: CreateTarget): Promise<void> {
    if (!this.authorized(req, res)) return;
    const body = req.json<Record<string, unknown>>();
    if (typeof body !== 'object' || body === null) return sendProblem(res, 400, 'The request body is not a JSON object');
    const input = body['input'] as Record<string, unknown> | undefined;
    if (typeof input !== 'object' || input === null || typeof input['prompt'] !== 'string') {
      return sendProblem(res, 422, '- input.prompt: Invalid type. Expected: string', { invalid_fields: [{ field: 'input.prompt', type: 'required' }] });
    }
    const resolved = target ?? versionTarget(body['version']);
    if (!resolved) return sendProblem(res, 422, '- version: Invalid version. Expected owner/name, owner/name:id or an id');
    const directives = promptDirectives(input['prompt']);
    const forced = forcedStatus(directives, '', this.occurrences.next(`create:${input['prompt']}`));
    if (forced) return sendForced(res, forced, this.retryAfter());

    const filter = Array.isArray(body['webhook_events_filter']) ? (body['webhook_events_filter'] as string[]) : undefined;
    const prediction: FakePrediction = {
      id: randomBytes(16).toString('hex').slice(0, 26),
      ...resolved,
      input,
      ...(typeof body['webhook'] === 'string' ? { webhook: body['webhook'], webhookEventsFilter: filter } : {}),
      directives,
      createdAt: new Date(),
      status: 'starting',
      output: null,
      error: null,
      logs: '',
      dataRemoved: false,
      images: [],
    };
    this.predictions.set(prediction.id, prediction);
    this.meter.enter();
    const deadline = parseDuration(header(req, 'cancel-after'));
    if (deadline !== undefined) this.after(deadline, () => this.finish(prediction, prediction.status === 'starting' ? 'aborted' : 'canceled'));
    this.after(Number(directives.get('cold')) || this.options.startingMs, () => this.begin(prediction));
    this.notify(prediction, 'start');
    sendJson(res, 201, predictionView(prediction, this.url));
  }

  private get(req: FakeRequest, res: ServerResponse): void {
    if (!this.authorized(req, res)) return;
    const prediction = this.predictions.get(req.path.split('/')[3]);
    if (!prediction) return sendProblem(res, 404, 'The requested resource could not be found.');
    const forced = forcedStatus(prediction.directives, 'poll-', this.occurrences.next(`poll:${prediction.id}`));
    if (forced) return sendForced(res, forced, this.retryAfter());
    sendJson(res, 200, predictionView(prediction, this.url));
  }

  private cancelRoute(req: FakeRequest, res: ServerResponse): void {
    if (!this.authorized(req, res)) return;
    const prediction = this.predictions.get(req.path.split('/')[3]);
    if (!prediction) return sendProblem(res, 404, 'The requested resource could not be found.');
    this.finish(prediction, 'canceled');
    sendJson(res, 200, predictionView(prediction, this.url));
  }

  private file(req: FakeRequest, res: ServerResponse): void {
    const [, , id, name] = req.path.split('/');
    const prediction = this.predictions.get(id);
    const image = prediction?.images[Number(name.replace('.png', ''))];
    if (prediction?.dataRemoved) return sendProblem(res, 410, 'This file has expired');
    if (!image) return sendProblem(res, 404, 'The requested resource could not be found.');
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': image.length }).end(image);
  }

  private begin(prediction: FakePrediction): void {
    if (prediction.status !== 'starting') return;
    if (prediction.directives.has('aborted')) return this.finish(prediction, 'aborted');
    const running = [...this.predictions.values()].filter((p) => p.status === 'processing').length;
    if (this.options.activeLimit !== undefined && running >= this.options.activeLimit) {
      this.waiting.push(prediction);
      return;
    }
    prediction.status = 'processing';
    prediction.startedAt = new Date();
    prediction.logs = 'Using seed: ' + String(prediction.input['seed'] ?? 0) + '\n';
    if (prediction.directives.has('early-output')) {
      // Files can exist before the model returns; the status stays `processing` meanwhile.
      void this.render(prediction).then(() => this.notify(prediction, 'output'));
    }
    this.after(Number(prediction.directives.get('latency')) || this.options.processingMs, () => void this.complete(prediction));
  }

  private async complete(prediction: FakePrediction): Promise<void> {
    if (prediction.status !== 'processing') return;
    const { directives } = prediction;
    if (directives.has('moderated')) {
      prediction.error = 'NSFW content detected. Try running it again, or try a different prompt.';
      return this.finish(prediction, 'failed');
    }
    if (directives.has('fail')) {
      prediction.error = directives.get('fail') || 'Prediction failed: the model raised an exception (RuntimeError)';
      return this.finish(prediction, 'failed');
    }
    await this.render(prediction);
    if (prediction.status !== 'processing') return;
    this.finish(prediction, 'succeeded');
    const retention = Number(directives.get('retention')) || this.options.retentionMs;
    this.after(retention, () => {
      prediction.output = null;
      prediction.images = [];
      prediction.dataRemoved = true;
    });
  }

  private async render(prediction: FakePrediction): Promise<void> {
    if (prediction.images.length > 0) return;
    const { input, directives, id } = prediction;
    const side = (value: unknown) => (Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 2048 ? (value as number) : this.options.defaultSide);
    const count = Number.isInteger(input['num_outputs']) ? Math.min(Math.max(input['num_outputs'] as number, 1), 10) : 1;
    const images = await Promise.all(Array.from({ length: count }, (_, index) => fakePng(`${id}:${index}`, side(input['width']), side(input['height']))));
    if (terminal.has(prediction.status) && prediction.status !== 'succeeded') return;
    prediction.images = images;
    const uris = images.map((png, index) =>
      directives.has('data-uri') ? `data:image/png;base64,${png.toString('base64')}` : `${this.server.url}/files/${id}/${index}.png`,
    );
    prediction.output = uris.length === 1 && !directives.has('array-output') ? uris[0] : uris;
  }

  private finish(prediction: FakePrediction, status: PredictionStatus): void {
    if (terminal.has(prediction.status)) return;
    const wasRunning = prediction.status === 'processing';
    prediction.status = status;
    prediction.completedAt = new Date();
    prediction.startedAt ??= prediction.completedAt;
    if (status !== 'succeeded') {
      prediction.output = null;
      prediction.images = [];
    }
    this.meter.leave();
    this.notify(prediction, 'completed');
    if (wasRunning) this.startNextWaiting();
  }

  private startNextWaiting(): void {
    let next = this.waiting.shift();
    while (next && next.status !== 'starting') next = this.waiting.shift();
    if (next) this.begin(next);
  }

  /** Sends a webhook for `event` when the prediction asked for one (default events: output and completed). */
  private notify(prediction: FakePrediction, event: 'start' | 'output' | 'completed'): void {
    if (!prediction.webhook || !(prediction.webhookEventsFilter ?? ['output', 'completed']).includes(event)) return;
    const target = { url: prediction.webhook, body: JSON.stringify(predictionView(prediction, this.url)), directives: prediction.directives };
    const policy = {
      secret: this.options.webhookSecret,
      attempts: this.options.webhookAttempts,
      retryDelayMs: this.options.webhookRetryDelayMs,
      timeoutMs: this.options.webhookTimeoutMs,
      clockSkewSeconds: this.options.clockSkewSeconds,
    };
    void sendWebhook(target, policy, this.webhooks, this.aborter.signal);
  }

  private authorized(req: FakeRequest, res: ServerResponse): boolean {
    const token = /^Bearer (.+)$/.exec(header(req, 'authorization') ?? '')?.[1];
    if (token && (this.options.apiToken === undefined || token === this.options.apiToken)) return true;
    sendProblem(res, 401, 'You did not pass a valid authentication token');
    return false;
  }

  private retryAfter(): string {
    const { retryAfterSeconds, retryAfterHttpDate } = this.options;
    return retryAfterHttpDate ? new Date(Date.now() + retryAfterSeconds * 1000).toUTCString() : String(retryAfterSeconds);
  }

  private after(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    this.timers.add(timer);
  }
}

/** `owner/name:id`, `owner/name` (official model) or a bare version id. */
function versionTarget(version: unknown): CreateTarget | undefined {
  if (typeof version !== 'string' || version === '') return undefined;
  const [model, id] = version.split(':');
  if (id !== undefined) return model.includes('/') && id ? { model, version: id } : undefined;
  return version.includes('/') ? { model: version, version: 'hidden' } : { model: 'unknown/unknown', version };
}

/** `Cancel-After` such as `30s`, `1m`, `500ms` (bare numbers are seconds). */
function parseDuration(value: string | undefined): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value?.trim() ?? '');
  if (!match) return undefined;
  return Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's']!;
}

const header = (req: FakeRequest, name: string) => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};
