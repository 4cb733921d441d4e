import type { ProviderSubmitRequest } from '../image-provider';

/** FLUX.2 takes the edit target and references as `input_image`, `input_image_2` … `input_image_8`. */
export const BFL_MAX_INPUT_IMAGES = 8;

/** The submit body for `POST /v1/{model}`; undefined when the request has more images than FLUX takes. */
export function bflSubmitBody(request: ProviderSubmitRequest, webhookSecret: string | undefined): Record<string, unknown> | undefined {
  const images = [...request.inputImages, ...request.referenceImages];
  if (images.length > BFL_MAX_INPUT_IMAGES) return undefined;
  const inputs = Object.fromEntries(
    // A link keeps the body small; bytes are the fallback when we have no URL the provider can fetch.
    images.map((image, index) => [index === 0 ? 'input_image' : `input_image_${index + 1}`, image.url ?? image.bytes.toString('base64')]),
  );
  // Without a secret we could not tell a genuine callback from a forged one, so we only poll.
  const webhook = request.webhookUrl && webhookSecret ? { webhook_url: request.webhookUrl, webhook_secret: webhookSecret } : {};
  return {
    prompt: request.prompt,
    width: multipleOf16(request.width),
    height: multipleOf16(request.height),
    seed: request.seed,
    output_format: 'png',
    safety_tolerance: 2,
    ...inputs,
    ...webhook,
  };
}

/** FLUX sizes are multiples of 16; round down so we never ask for more pixels than were paid for. */
function multipleOf16(side: number): number {
  return Math.max(16, Math.floor(side / 16) * 16);
}
