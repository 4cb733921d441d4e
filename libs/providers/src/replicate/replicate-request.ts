import type { ProviderSubmitRequest } from '../image-provider';
import { imageUri } from '../http/provider-http';

/** A 64-hex-digit model version id, accepted alone as `version`. */
const bareVersion = /^[0-9a-f]{64}$/;

/** The create call for one attempt: where to POST and the JSON body. */
export interface PredictionCall {
  readonly url: string;
  readonly body: Readonly<Record<string, unknown>>;
}

/**
 * `owner/name:version` (or a bare version id) goes to `/predictions` with `version`; a plain
 * `owner/name` is an official model, created at `/models/{owner}/{name}/predictions`.
 * Undefined when `providerModel` is none of these (a catalog mistake, not a provider answer).
 */
export function predictionCall(baseUrl: string, request: ProviderSubmitRequest): PredictionCall | undefined {
  const model = request.providerModel;
  const common = {
    input: predictionInput(request),
    ...(request.webhookUrl ? { webhook: request.webhookUrl, webhook_events_filter: ['completed'] } : {}),
  };
  const colon = model.indexOf(':');
  // The SDKs send the version id alone; it is the one form every create path accepts.
  if (colon > 0) return { url: `${baseUrl}/predictions`, body: { version: model.slice(colon + 1), ...common } };
  if (bareVersion.test(model)) return { url: `${baseUrl}/predictions`, body: { version: model, ...common } };
  const [owner, name, ...rest] = model.split('/');
  if (!owner || !name || rest.length > 0) return undefined;
  return { url: `${baseUrl}/models/${encodeURIComponent(owner)}/${encodeURIComponent(name)}/predictions`, body: common };
}

/** Model inputs are per model; these are the names Replicate's image models share. */
function predictionInput(request: ProviderSubmitRequest): Record<string, unknown> {
  const images = [...request.inputImages, ...request.referenceImages].map(imageUri);
  return {
    prompt: request.prompt,
    seed: request.seed,
    ...(request.n > 1 ? { num_outputs: request.n } : {}),
    ...(request.aspectRatio ? { aspect_ratio: request.aspectRatio } : { width: request.width, height: request.height }),
    output_format: 'png',
    ...(request.negativePrompt ? { negative_prompt: request.negativePrompt } : {}),
    ...(images.length > 0 ? { image_input: images } : {}),
  };
}
