import { FailureCode } from '@darkroom/contracts';
import type { ProviderFailure, ProviderImage } from '../image-provider';
import { decodeBase64Capped } from '../http/decode-base64-capped';

interface Part {
  readonly text?: string;
  readonly thought?: boolean;
  readonly inlineData?: { readonly mimeType?: string; readonly data?: string };
}

interface GenerateContentResponse {
  readonly candidates?: readonly { readonly content?: { readonly parts?: readonly Part[] }; readonly finishReason?: string; readonly finishMessage?: string }[];
  readonly promptFeedback?: { readonly blockReason?: string; readonly blockReasonMessage?: string };
  readonly responseId?: string;
  readonly modelVersion?: string;
}

export type GeminiResult =
  | { readonly ok: true; readonly images: readonly ProviderImage[] }
  | { readonly ok: false; readonly failure: ProviderFailure };

/** Finish reasons that mean a safety system withheld the image, rather than the model not making one. */
const moderatedFinishReasons = new Set([
  'SAFETY',
  'PROHIBITED_CONTENT',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'BLOCKLIST',
  'SPII',
  'RECITATION',
  'IMAGE_RECITATION',
]);

/**
 * A 200 answer. Gemini says "no" inside a 200: a `promptFeedback.blockReason`, or a
 * candidate with no image part and a `finishReason` explaining why. Only an image part is a success.
 */
export function geminiResult(json: unknown, text: string): GeminiResult {
  if (json === null || typeof json !== 'object') return failed(FailureCode.providerError, { malformedResponse: text.slice(0, 2000) });
  const response = json as GenerateContentResponse;
  const { blockReason, blockReasonMessage } = response.promptFeedback ?? {};
  if (blockReason) return failed(FailureCode.contentModerated, { blockReason, blockReasonMessage, responseId: response.responseId });

  const candidate = Array.isArray(response.candidates) ? response.candidates[0] : undefined;
  const parts: readonly Part[] = Array.isArray(candidate?.content?.parts) ? candidate.content.parts : [];
  // Thinking models may show draft images marked `thought`; only the final ones are the answer.
  const imageParts = parts.filter((part) => !part.thought && part.inlineData?.mimeType?.startsWith('image/'));
  if (imageParts.length > 0) {
    const images: ProviderImage[] = [];
    for (const { inlineData } of imageParts) {
      if (!isBase64(inlineData?.data)) return failed(FailureCode.providerError, { malformedBase64: true, mimeType: inlineData?.mimeType });
      const decoded = decodeBase64Capped(inlineData.data);
      if (!decoded.ok) return failed(FailureCode.providerError, { inlineImage: decoded.message, mimeType: inlineData.mimeType });
      images.push({ kind: 'bytes', bytes: decoded.bytes, contentType: inlineData.mimeType! });
    }
    return { ok: true, images };
  }

  const finishReason = candidate?.finishReason;
  const code = finishReason && moderatedFinishReasons.has(finishReason) ? FailureCode.contentModerated : FailureCode.providerRejected;
  const replyText = parts.map((part) => (part.thought ? '' : (part.text ?? ''))).join('').slice(0, 2000);
  return failed(code, {
    finishReason: finishReason ?? null,
    finishMessage: candidate?.finishMessage,
    text: replyText || undefined,
    responseId: response.responseId,
  });
}

/** Standard or URL-safe base64; `Buffer.from` would silently skip the garbage instead. */
function isBase64(data: string | undefined): data is string {
  return typeof data === 'string' && data.length > 0 && data.length % 4 !== 1 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(data);
}

function failed(code: ProviderFailure['code'], detail: Record<string, unknown>): GeminiResult {
  return { ok: false, failure: { code, retryable: false, detail } };
}
