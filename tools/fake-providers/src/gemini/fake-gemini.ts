import type { ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { ConcurrencyMeter, FakeServer, Occurrences, fakePng, promptDirectives, sendJson, sleep, times, type FakeRequest } from '../fake-server';

export interface FakeGeminiOptions {
  /** Milliseconds before each answer; `[fake:latency:<ms>]` overrides it per request. */
  readonly latencyMs: number;
  /** When set, any other `x-goog-api-key` gets 403 PERMISSION_DENIED. */
  readonly apiKey?: string;
  /** Models that answer; any other gets 404 NOT_FOUND. */
  readonly models: readonly string[];
  /** A text part before the image when TEXT is among the response modalities. */
  readonly echoText: boolean;
  /** Also send `Retry-After: 1` on scripted 429s (Google is not known to; RetryInfo is always there). */
  readonly retryAfterHeader: boolean;
  /** An outage: while set, every request gets this status (503 UNAVAILABLE, 500 INTERNAL …), whatever its prompt. */
  readonly outageStatus?: number;
}

interface GeminiPart {
  readonly text?: string;
  readonly inlineData?: { readonly mimeType?: string; readonly data?: string };
}

interface GenerateRequest {
  readonly contents?: readonly { readonly parts?: readonly GeminiPart[] }[];
  readonly generationConfig?: { readonly responseModalities?: readonly string[]; readonly imageConfig?: { readonly aspectRatio?: string; readonly imageSize?: string } };
}

/** Output sizes of the 1K tier per aspect ratio, as Gemini image models produce them. */
const sizes: Readonly<Record<string, readonly [number, number]>> = {
  '1:1': [1024, 1024],
  '2:3': [832, 1248],
  '3:2': [1248, 832],
  '3:4': [864, 1184],
  '4:3': [1184, 864],
  '4:5': [896, 1152],
  '5:4': [1152, 896],
  '9:16': [768, 1344],
  '16:9': [1344, 768],
  '21:9': [1536, 672],
};
const scales: Readonly<Record<string, number>> = { '1K': 1, '2K': 2, '4K': 4 };

/**
 * Gemini's `POST /v1beta/models/{model}:generateContent` on loopback, answering with a real
 * PNG in an `inlineData` part. Image k (1-based count of requests with that prompt) is
 * `expectedImage(prompt, k, aspectRatio)`. Prompt directives script one request:
 * `[fake:no-image:<FINISH_REASON>]`, `[fake:blocked:<BLOCK_REASON>]`, `[fake:text-only]`,
 * `[fake:bad-base64]`, `[fake:malformed]` (200, truncated JSON), `[fake:invalid]`, `[fake:429x<N>]` / `[fake:500x<N>]` / `[fake:503x<N>]` /
 * `[fake:504x<N>]` (the first N requests with this exact prompt; `[fake:gemini:503x<N>]` is read by this fake only), `[fake:latency:<ms>]`.
 * `configure({ outageStatus: 503 })` fails every request until it is set back to undefined.
 */
export class FakeGemini {
  readonly server = new FakeServer();
  /** Requests in flight. */
  readonly meter = new ConcurrencyMeter();
  private options: FakeGeminiOptions = {
    latencyMs: 20,
    models: ['gemini-2.5-flash-image', 'gemini-3-pro-image-preview', 'gemini-3.1-flash-image-preview'],
    echoText: true,
    retryAfterHeader: false,
  };
  private readonly occurrences = new Occurrences();

  /** The adapter's `baseUrl`. */
  get url(): string {
    return `${this.server.url}/v1beta`;
  }

  configure(options: Partial<FakeGeminiOptions>): this {
    this.options = { ...this.options, ...options };
    return this;
  }

  async start(): Promise<this> {
    this.server.on('POST', /^\/v1beta\/models\/([^/:]+):generateContent$/, (request, res) => this.generate(request, res));
    await this.server.start();
    return this;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  /** The bytes of the k-th (1-based) request with this prompt, at the 1K size of the aspect ratio. */
  expectedImage(prompt: string, k: number, aspectRatio = '1:1', imageSize = '1K'): Promise<Buffer> {
    const [width, height] = sizes[aspectRatio] ?? sizes['1:1'];
    const scale = scales[imageSize] ?? 1;
    return fakePng(`gemini:${prompt}:${k}`, width * scale, height * scale);
  }

  private async generate(request: FakeRequest, res: ServerResponse): Promise<void> {
    this.meter.enter();
    try {
      const model = decodeURIComponent(/^\/v1beta\/models\/([^/:]+):/.exec(request.path)![1]);
      if (this.options.apiKey !== undefined && request.headers['x-goog-api-key'] !== this.options.apiKey) {
        return googleError(res, 403, 'PERMISSION_DENIED', 'Permission denied: the API key is not valid for this project.');
      }
      const outage = this.options.outageStatus;
      if (outage !== undefined) {
        return googleError(res, outage, outage === 503 ? 'UNAVAILABLE' : 'INTERNAL', 'The model is overloaded. Please try again later.');
      }
      if (!this.options.models.includes(model)) {
        return googleError(res, 404, 'NOT_FOUND', `models/${model} is not found for API version v1beta, or is not supported for generateContent.`);
      }
      const body = request.json<GenerateRequest>();
      const invalid = validate(body);
      if (invalid) return googleError(res, 400, 'INVALID_ARGUMENT', invalid);

      const parts = body!.contents!.flatMap((content) => content.parts ?? []);
      const prompt = parts.map((part) => part.text ?? '').join('');
      const directives = promptDirectives(prompt);
      const seen = this.occurrences.next(prompt);
      await sleep(Number(directives.get('latency') ?? this.options.latencyMs));

      if (seen <= times(directives, 429, 'gemini')) {
        const headers: Record<string, string> = this.options.retryAfterHeader ? { 'retry-after': '1' } : {};
        return googleError(res, 429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).', quotaDetails(model), headers);
      }
      if (seen <= times(directives, 500, 'gemini')) return googleError(res, 500, 'INTERNAL', 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting');
      if (seen <= times(directives, 503, 'gemini')) return googleError(res, 503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.');
      if (seen <= times(directives, 504, 'gemini')) return googleError(res, 504, 'DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.');
      if (directives.has('invalid')) return googleError(res, 400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.');
      if (directives.has('malformed')) {
        res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
        return void res.end('{"candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": "iVBOR');
      }

      const meta = { usageMetadata: usage(prompt), modelVersion: model, responseId: randomUUID().replaceAll('-', '').slice(0, 22) };
      const blockReason = directives.get('blocked');
      if (blockReason !== undefined) return sendJson(res, 200, { promptFeedback: { blockReason: blockReason || 'SAFETY' }, ...meta });
      const finishReason = directives.get('no-image');
      if (finishReason !== undefined) {
        const candidate = { finishReason: finishReason || 'NO_IMAGE', finishMessage: 'Unable to show the generated image.', index: 0 };
        return sendJson(res, 200, { candidates: [candidate], ...meta });
      }
      const modalities = body!.generationConfig?.responseModalities ?? ['TEXT', 'IMAGE'];
      const text = directives.has('text-only') || (this.options.echoText && modalities.includes('TEXT'));
      const replyParts: object[] = text ? [{ text: "Here is the image you asked for. I hope it's what you had in mind." }] : [];
      if (!directives.has('text-only')) {
        const { aspectRatio, imageSize } = body!.generationConfig?.imageConfig ?? {};
        const data = directives.has('bad-base64') ? '!!this is not*base64%%' : (await this.expectedImage(prompt, seen, aspectRatio, imageSize)).toString('base64');
        replyParts.push({ inlineData: { mimeType: 'image/png', data } });
      }
      const candidate = { content: { role: 'model', parts: replyParts }, finishReason: 'STOP', index: 0 };
      return sendJson(res, 200, { candidates: [candidate], ...meta });
    } finally {
      this.meter.leave();
    }
  }
}

function validate(body: GenerateRequest | undefined): string | undefined {
  if (!body || typeof body !== 'object') return 'Invalid JSON payload received.';
  if (!Array.isArray(body.contents) || body.contents.length === 0) return '* GenerateContentRequest.contents: contents is not specified';
  for (const part of body.contents.flatMap((content) => content.parts ?? [])) {
    const { inlineData } = part;
    if (inlineData && (!inlineData.mimeType || !/^[A-Za-z0-9+/]+={0,2}$/.test(inlineData.data ?? ''))) {
      return 'Invalid value at contents.parts.inline_data: mimeType and base64 data are required.';
    }
  }
  const { aspectRatio, imageSize } = body.generationConfig?.imageConfig ?? {};
  if (aspectRatio !== undefined && !sizes[aspectRatio]) return `Unsupported aspect ratio: ${aspectRatio}.`;
  if (imageSize !== undefined && !scales[imageSize]) return `Unsupported image size: ${imageSize}.`;
  return undefined;
}

function googleError(res: ServerResponse, code: number, status: string, message: string, details: readonly object[] = [], headers: Record<string, string> = {}): void {
  sendJson(res, code, { error: { code, message, status, ...(details.length ? { details } : {}) } }, headers);
}

function quotaDetails(model: string): object[] {
  return [
    {
      '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
      violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier', quotaDimensions: { model, location: 'global' }, quotaValue: '10' }],
    },
    { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }] },
    { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1s' },
  ];
}

function usage(prompt: string) {
  const promptTokens = Math.ceil(prompt.length / 4);
  return {
    promptTokenCount: promptTokens,
    candidatesTokenCount: 1290,
    totalTokenCount: promptTokens + 1290,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: promptTokens }],
    candidatesTokensDetails: [{ modality: 'IMAGE', tokenCount: 1290 }],
  };
}

