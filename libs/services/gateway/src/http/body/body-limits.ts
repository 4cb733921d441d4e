import type { JsonShapeLimits } from './json-shape';

/** What the edge accepts of one request body. */
export interface BodyLimits extends JsonShapeLimits {
  /** Bytes as sent; a larger declared Content-Length is refused from the header. */
  readonly maxBytes: number;
}

/** Every JSON route of the API: the largest DTO (a generation with metadata) is a few KB. */
export const API_BODY_LIMITS: BodyLimits = { maxBytes: 100 * 1024, maxDepth: 32, maxKeys: 1_000 };

/**
 * `POST /webhooks/providers/{provider}`: a provider's result may carry its image inline
 * (Replicate sends `data:` URIs), so 10 MiB, about a 7 MB image in base64. Larger results
 * come as URLs, which every provider offers.
 */
export const PROVIDER_CALLBACK_BODY_LIMITS: BodyLimits = { maxBytes: 10 * 1024 * 1024, maxDepth: 32, maxKeys: 10_000 };

/** `POST /v1/batches`: up to 1,000 generation requests (each within the API limit's few KB). */
export const BATCH_BODY_LIMITS: BodyLimits = { maxBytes: 4 * 1024 * 1024, maxDepth: 32, maxKeys: 40_000 };

/** A body that sends nothing for this long is refused (408) and its connection closed. */
export const BODY_IDLE_TIMEOUT_MS = 10_000;

/** Matched as Express routes it: case-insensitive, an optional trailing slash. */
const PROVIDER_CALLBACK = /^\/webhooks\/providers\/[^/]+\/?$/i;
const BATCHES = /^\/v1\/batches\/?$/i;

export function bodyLimitsFor(method: string, path: string): BodyLimits {
  if (method !== 'POST') return API_BODY_LIMITS;
  if (PROVIDER_CALLBACK.test(path)) return PROVIDER_CALLBACK_BODY_LIMITS;
  return BATCHES.test(path) ? BATCH_BODY_LIMITS : API_BODY_LIMITS;
}
