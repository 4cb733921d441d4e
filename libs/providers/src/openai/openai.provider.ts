import { FailureCode } from '@darkroom/contracts';
import OpenAI, { toFile } from 'openai';
import type { ImageEditParamsNonStreaming, ImageGenerateParamsNonStreaming } from 'openai/resources/images';
import type { ProviderInputImage, ProviderSubmitRequest, SubmitOutcome } from '../image-provider';
import type { OpenAiSettings } from '../provider-settings';
import { openAiFailure } from './openai-failure';
import { openAiOutcome } from './openai-response';
import { SyncImageProvider } from '../sync-image-provider';

// Our quality words ("low" | "medium" | "high" | "auto") are the GPT image models' own.
type Quality = ImageEditParamsNonStreaming['quality'];

/**
 * OpenAI's synchronous Images API: `images.generate` for text-to-image, `images.edit` when
 * there are input or reference images (the API treats them alike, up to 16).
 */
export class OpenAiProvider extends SyncImageProvider {
  readonly name = 'openai';
  private readonly client: OpenAI;

  constructor(private readonly settings: OpenAiSettings) {
    super();
    this.client = new OpenAI({
      baseURL: settings.baseUrl,
      apiKey: settings.apiKey,
      // Our retry policy counts every attempt and honours Retry-After; SDK retries would hide both.
      maxRetries: 0,
      timeout: settings.requestTimeoutMs,
    });
  }

  async submit(request: ProviderSubmitRequest): Promise<SubmitOutcome> {
    const images = [...request.inputImages, ...request.referenceImages];
    const params = {
      model: request.providerModel,
      prompt: request.prompt,
      n: request.n,
      size: `${request.width}x${request.height}`,
      output_format: 'png' as const,
      ...(request.quality === undefined ? {} : { quality: request.quality as Quality }),
    };
    // Our own deadline as well as the SDK's: it also bounds reading the body, and we can tell
    // a timeout from `signal.aborted` even where the SDK cannot classify the abort error.
    const signal = AbortSignal.timeout(this.settings.requestTimeoutMs);
    try {
      const response =
        images.length === 0
          ? await this.client.images.generate(params satisfies ImageGenerateParamsNonStreaming, { signal })
          : await this.client.images.edit({ ...params, image: await Promise.all(images.map(asFile)) }, { signal });
      return openAiOutcome(response);
    } catch (error) {
      const failure = signal.aborted ? timeoutFailure : openAiFailure(error);
      return { kind: 'failed', failure };
    }
  }
}

const timeoutFailure = { code: FailureCode.providerError, retryable: true, detail: { network: 'timeout' } } as const;

const extensions: Readonly<Record<string, string>> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };

function asFile(image: ProviderInputImage, index: number) {
  return toFile(image.bytes, `image-${index + 1}.${extensions[image.contentType] ?? 'png'}`, { type: image.contentType });
}
