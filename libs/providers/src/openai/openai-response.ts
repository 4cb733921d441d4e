import { FailureCode } from '@darkroom/contracts';
import type { ImagesResponse } from 'openai/resources/images';
import { decodeBase64Capped } from '../http/decode-base64-capped';
import type { ProviderImage, SubmitOutcome } from '../image-provider';

const contentTypes: Readonly<Record<string, string>> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };

/** The images of a 200 answer; GPT image models always answer in base64, never with URLs. */
export function openAiOutcome(response: ImagesResponse): SubmitOutcome {
  const data = response.data ?? [];
  const contentType = contentTypes[response.output_format ?? 'png'] ?? 'image/png';
  const images: ProviderImage[] = [];
  for (const item of data) {
    if (typeof item.b64_json !== 'string' || item.b64_json === '') break;
    const decoded = decodeBase64Capped(item.b64_json);
    if (!decoded.ok) break;
    images.push({ kind: 'bytes', bytes: decoded.bytes, contentType });
  }
  if (images.length === 0 || images.length !== data.length) {
    return {
      kind: 'failed',
      failure: {
        code: FailureCode.providerError,
        retryable: false,
        detail: { message: 'The answer carried no b64_json image', images: data.length, usable: images.length },
      },
    };
  }
  return { kind: 'completed', images };
}
