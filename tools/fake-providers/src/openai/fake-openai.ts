import type { ServerResponse } from 'node:http';
import sharp from 'sharp';
import { imageBomb, isBombKind } from '@darkroom/testing';
import { ConcurrencyMeter, FakeServer, Occurrences, fakePng, promptDirectives, sendJson, sleep, times, type FakeRequest } from '../fake-server';

export interface FakeOpenAiOptions {
  /** Milliseconds before each answer; `[fake:latency:<ms>]` overrides it per request. */
  readonly latencyMs: number;
  /** When set, any other bearer token gets 401 `invalid_api_key`. */
  readonly apiKey?: string;
  /** `retry-after-ms` on scripted 429s; `retry-after` is always "1", as OpenAI sends both. */
  readonly retryAfterMs: number;
}

/** One image request as the fake understood it (generations or edits). */
interface ImageRequest {
  readonly prompt: string;
  readonly n: number;
  readonly width: number;
  readonly height: number;
  readonly quality: string;
  readonly outputFormat: string;
}

type Parsed = { readonly ok: true; readonly value: ImageRequest } | { readonly ok: false; readonly param: string; readonly message: string };

const qualities = ['low', 'medium', 'high', 'auto'];
const formats = ['png', 'jpeg', 'webp'];

/**
 * OpenAI's synchronous Images API on loopback: `POST /v1/images/generations` (JSON) and
 * `POST /v1/images/edits` (multipart, 1-16 `image[]` or `image` parts), answering with real
 * images in `b64_json`. Prompt directives script one request: `[fake:moderated]`,
 * `[fake:invalid]`, `[fake:429x<N>]` / `[fake:500x<N>]` / `[fake:503x<N>]` (the first N
 * requests with this exact prompt), `[fake:reset]`, `[fake:malformed]`, `[fake:latency:<ms>]`,
 * `[fake:bomb:<kind>]` (one decompression bomb of `@darkroom/testing` as the image).
 */
export class FakeOpenAi {
  readonly server = new FakeServer();
  /** Requests in flight. */
  readonly meter = new ConcurrencyMeter();
  private options: FakeOpenAiOptions = { latencyMs: 20, retryAfterMs: 1000 };
  private readonly occurrences = new Occurrences();
  private requestCount = 0;

  /** The adapter's `baseUrl`. */
  get url(): string {
    return `${this.server.url}/v1`;
  }

  configure(options: Partial<FakeOpenAiOptions>): this {
    this.options = { ...this.options, ...options };
    return this;
  }

  async start(): Promise<this> {
    this.server
      .on('POST', /^\/v1\/images\/generations$/, (request, res) => this.answer(request, res, parseGeneration(request)))
      .on('POST', /^\/v1\/images\/edits$/, async (request, res) => this.answer(request, res, await parseEdit(request)));
    await this.server.start();
    return this;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  /** The bytes the fake returns as image `index` (0-based) of a request with this prompt and size. */
  async expectedImage(prompt: string, index: number, width: number, height: number, outputFormat = 'png'): Promise<Buffer> {
    const png = await fakePng(`openai:${prompt}:${index}`, width, height);
    if (outputFormat === 'jpeg') return sharp(png).jpeg().toBuffer();
    if (outputFormat === 'webp') return sharp(png).webp().toBuffer();
    return png;
  }

  private async answer(request: FakeRequest, res: ServerResponse, parsed: Parsed): Promise<void> {
    this.meter.enter();
    try {
      const requestId = `req_fake_${++this.requestCount}`;
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) =>
        sendJson(res, status, body, { 'x-request-id': requestId, ...headers });

      if (this.options.apiKey !== undefined && request.headers.authorization !== `Bearer ${this.options.apiKey}`) {
        return send(401, errorBody('Incorrect API key provided.', 'invalid_request_error', null, 'invalid_api_key'));
      }
      if (!parsed.ok) return send(400, errorBody(parsed.message, 'invalid_request_error', parsed.param, 'invalid_value'));

      const { prompt } = parsed.value;
      const directives = promptDirectives(prompt);
      const seen = this.occurrences.next(prompt);
      await sleep(Number(directives.get('latency') ?? this.options.latencyMs));

      if (directives.has('reset')) return resetMidBody(res);
      if (directives.has('malformed')) {
        res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': requestId });
        return void res.end('{"created": 1700000000, "data": [{"b64_json": "iVBORw0KGgo');
      }
      if (directives.has('moderated')) {
        const message = 'Your request was rejected by the safety system. If you believe this is an error, contact us.';
        return send(400, errorBody(message, 'image_generation_user_error', null, 'moderation_blocked'));
      }
      if (directives.has('invalid')) {
        return send(400, errorBody("Invalid value: 'giant'. Supported values are: '1024x1024', '1024x1536', '1536x1024', and 'auto'.", 'invalid_request_error', 'size', 'invalid_value'));
      }
      if (seen <= times(directives, 429)) {
        const retryAfter = { 'retry-after': '1', 'retry-after-ms': String(this.options.retryAfterMs), 'x-should-retry': 'true' };
        return send(429, errorBody('Rate limit reached for images per minute. Please try again in 1s.', 'requests', null, 'rate_limit_exceeded'), retryAfter);
      }
      if (seen <= times(directives, 500)) {
        return send(500, errorBody('The server had an error while processing your request. Sorry about that!', 'server_error', null, null));
      }
      if (seen <= times(directives, 503)) {
        return send(503, errorBody('The engine is currently overloaded, please try again later.', 'server_error', null, null));
      }
      const bomb = directives.get('bomb');
      if (bomb !== undefined && isBombKind(bomb)) {
        return send(200, { created: 1700000000, data: [{ b64_json: (await imageBomb(bomb)).toString('base64') }] });
      }
      return send(200, await this.success(parsed.value));
    } finally {
      this.meter.leave();
    }
  }

  private async success(job: ImageRequest) {
    const images = await Promise.all(
      Array.from({ length: job.n }, (_, index) => this.expectedImage(job.prompt, index, job.width, job.height, job.outputFormat)),
    );
    const imageTokens = Math.ceil((job.width * job.height) / 1024) * job.n;
    const textTokens = Math.ceil(job.prompt.length / 4);
    return {
      created: Math.floor(Date.now() / 1000),
      background: 'opaque',
      data: images.map((bytes) => ({ b64_json: bytes.toString('base64') })),
      output_format: job.outputFormat,
      quality: job.quality === 'auto' ? 'medium' : job.quality,
      size: `${job.width}x${job.height}`,
      usage: {
        input_tokens: textTokens,
        input_tokens_details: { image_tokens: 0, text_tokens: textTokens },
        output_tokens: imageTokens,
        total_tokens: textTokens + imageTokens,
      },
    };
  }
}

function parseGeneration(request: FakeRequest): Parsed {
  const body = request.json<Record<string, unknown>>();
  if (!body || typeof body !== 'object') return { ok: false, param: 'body', message: 'We could not parse the JSON body of your request.' };
  return validate((name) => body[name]);
}

async function parseEdit(request: FakeRequest): Promise<Parsed> {
  let form: FormData;
  try {
    const headers = { 'content-type': String(request.headers['content-type'] ?? '') };
    form = await new Request('http://fake', { method: 'POST', headers, body: new Uint8Array(request.body) }).formData();
  } catch {
    return { ok: false, param: 'body', message: 'Could not parse multipart form' };
  }
  const images = [...form.getAll('image[]'), ...form.getAll('image')];
  if (images.length < 1 || images.length > 16 || images.some((image) => typeof image === 'string' || image.size === 0)) {
    return { ok: false, param: 'image', message: 'Provide between 1 and 16 image files in image[].' };
  }
  return validate((name) => form.get(name) ?? undefined);
}

function validate(field: (name: string) => unknown): Parsed {
  const prompt = field('prompt');
  if (typeof prompt !== 'string' || prompt === '') return { ok: false, param: 'prompt', message: "Missing required parameter: 'prompt'." };
  const n = Number(field('n') ?? 1);
  if (!Number.isInteger(n) || n < 1 || n > 10) return { ok: false, param: 'n', message: `Invalid 'n': ${n}. Expected an integer from 1 to 10.` };
  const size = String(field('size') ?? 'auto');
  const match = /^(\d+)x(\d+)$/.exec(size === 'auto' ? '1024x1024' : size);
  const [width, height] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
  if (!match || width % 16 !== 0 || height % 16 !== 0 || width > 3840 || height > 3840 || width < 16 || height < 16) {
    return { ok: false, param: 'size', message: `Invalid size '${size}'. Width and height must be multiples of 16, at most 3840.` };
  }
  const quality = String(field('quality') ?? 'auto');
  if (!qualities.includes(quality)) return { ok: false, param: 'quality', message: `Invalid quality '${quality}'.` };
  const outputFormat = String(field('output_format') ?? 'png');
  if (!formats.includes(outputFormat)) return { ok: false, param: 'output_format', message: `Invalid output_format '${outputFormat}'.` };
  return { ok: true, value: { prompt, n, width, height, quality, outputFormat } };
}

function errorBody(message: string, type: string, param: string | null, code: string | null) {
  return { error: { message, type, param, code } };
}

/** Promises a long body, sends a little of it, then drops the connection. */
function resetMidBody(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100000' });
  res.write('{"created": 1700000000, "data": [{"b64_json": "iVBOR', () => res.destroy());
}
