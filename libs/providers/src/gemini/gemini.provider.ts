import { FailureCode } from '@darkroom/contracts';
import type { ProviderImage, ProviderSubmitRequest, SubmitOutcome } from '../image-provider';
import { callProvider, networkFailure } from '../http/provider-http';
import type { GeminiSettings } from '../provider-settings';
import { geminiHttpFailure } from './gemini-failure';
import { geminiRequestBody } from './gemini-request';
import { geminiResult, type GeminiResult } from './gemini-response';
import { SyncImageProvider } from '../sync-image-provider';

/**
 * Gemini native image generation ("Nano Banana") through `models/{model}:generateContent`.
 * Plain HTTP rather than @google/genai: the SDK retries 429 and 5xx internally, hiding the
 * attempts and Retry-After from our retry policy, and this is a single POST.
 */
export class GeminiProvider extends SyncImageProvider {
  readonly name = 'gemini';

  constructor(private readonly settings: GeminiSettings) {
    super();
  }

  /** Gemini returns one image per call, so n images are n calls in parallel; the first failure wins. */
  async submit(request: ProviderSubmitRequest): Promise<SubmitOutcome> {
    if (!Number.isInteger(request.n) || request.n < 1) {
      return { kind: 'failed', failure: { code: FailureCode.invalidInput, retryable: false, detail: { message: `n must be at least 1, got ${request.n}` } } };
    }
    const body = JSON.stringify(geminiRequestBody(request));
    const calls = Array.from({ length: request.n }, () => this.generate(request.providerModel, body));
    return firstFailureOrAll(calls);
  }

  private async generate(model: string, body: string): Promise<GeminiResult> {
    const url = `${this.settings.baseUrl}/models/${encodeURIComponent(model)}:generateContent`;
    const headers = { 'content-type': 'application/json', 'x-goog-api-key': this.settings.apiKey };
    const call = await callProvider(url, { method: 'POST', headers, body }, this.settings.requestTimeoutMs);
    if (!call.ok) return { ok: false, failure: call.failure };
    if (call.answer.status !== 200) return { ok: false, failure: geminiHttpFailure(call.answer) };
    return geminiResult(call.answer.json, call.answer.text);
  }
}

/**
 * Answers as soon as one call fails (the others finish unobserved), or with one image per
 * call once all succeed: a call that returns extra images does not make the batch bigger than asked.
 */
function firstFailureOrAll(calls: readonly Promise<GeminiResult>[]): Promise<SubmitOutcome> {
  return new Promise((resolve) => {
    const images: ProviderImage[] = new Array(calls.length);
    let remaining = calls.length;
    calls.forEach((call, index) => {
      call
        .catch((error: unknown): GeminiResult => ({ ok: false, failure: networkFailure(error) }))
        .then((result) => {
          if (!result.ok) return resolve({ kind: 'failed', failure: result.failure });
          images[index] = result.images[0];
          remaining -= 1;
          if (remaining === 0) resolve({ kind: 'completed', images });
        });
    });
  });
}
