import type { ProviderSubmitRequest } from '../image-provider';
import { imageUri } from '../http/provider-http';

/** Where a queued request can be followed; fal returns these on submit. */
export interface FalJobUrls {
  readonly status: string;
  readonly response: string;
  readonly cancel: string;
}

/**
 * The queue submit for one attempt. `providerModel` is the full endpoint id, subpath
 * included (`fal-ai/nano-banana/edit`): the catalog picks the edit endpoint, not us.
 */
export function falSubmitCall(baseUrl: string, request: ProviderSubmitRequest): { readonly url: string; readonly body: Record<string, unknown> } {
  const images = [...request.inputImages, ...request.referenceImages].map(imageUri);
  const query = request.webhookUrl ? `?fal_webhook=${encodeURIComponent(request.webhookUrl)}` : '';
  return {
    url: `${baseUrl}/${request.providerModel}${query}`,
    body: {
      prompt: request.prompt,
      num_images: request.n,
      seed: request.seed,
      output_format: 'png',
      ...(request.aspectRatio ? { aspect_ratio: request.aspectRatio } : { image_size: { width: request.width, height: request.height } }),
      ...(request.negativePrompt ? { negative_prompt: request.negativePrompt } : {}),
      ...(images.length > 0 ? { image_urls: images } : {}),
    },
  };
}

/** Status, result and cancel live under the `owner/app` root, never under the subpath. */
export function falJobUrls(baseUrl: string, providerModel: string, requestId: string): FalJobUrls {
  const root = providerModel.split('/').slice(0, 2).join('/');
  const request = `${baseUrl}/${root}/requests/${encodeURIComponent(requestId)}`;
  return { status: `${request}/status`, response: request, cancel: `${request}/cancel` };
}
