import { FailureCode } from '@darkroom/contracts';
import { ProviderPayloadError, type JobObservation, type ProviderImage } from '../image-provider';
import { imageFromUri } from '../http/provider-http';
import { hasContentPolicyViolation, isRecord } from './fal-failure';

/**
 * A queue status object: IN_QUEUE and IN_PROGRESS are pending; COMPLETED only says the
 * request ended, success or failure shows in the result. Undefined when it has no status.
 */
export function observeQueueStatus(json: unknown): JobObservation | 'completed' | undefined {
  if (!isRecord(json) || typeof json['status'] !== 'string') return undefined;
  const providerStatus = json['status'];
  if (providerStatus === 'COMPLETED') return 'completed';
  const position = json['queue_position'];
  return {
    kind: 'pending',
    providerStatus,
    ...(providerStatus === 'IN_QUEUE' && typeof position === 'number' ? { queuePosition: position } : {}),
  };
}

/** `{images: [{url, content_type}]}` → images; undefined when there is no readable image. */
export function resultImages(json: unknown): ProviderImage[] | undefined {
  const images = isRecord(json) && Array.isArray(json['images']) ? json['images'] : [];
  const read = images.map((image) =>
    isRecord(image) && typeof image['url'] === 'string'
      ? imageFromUri(image['url'], typeof image['content_type'] === 'string' ? image['content_type'] : undefined)
      : undefined,
  );
  if (read.length === 0 || read.some((image) => image === undefined)) return undefined;
  return read as ProviderImage[];
}

/**
 * A completion webhook `{request_id, gateway_request_id, status: OK|ERROR, payload, error?,
 * payload_error?}`; throws `ProviderPayloadError` when it is not one.
 */
export function readFalWebhook(json: unknown): { readonly requestId: string; readonly observation: JobObservation } {
  if (!isRecord(json) || typeof json['request_id'] !== 'string' || json['request_id'] === '') {
    throw new ProviderPayloadError('fal webhook without a request_id');
  }
  const { status, payload } = json;
  const requestId = json['request_id'];
  const failed = (code: FailureCode, detail: unknown): JobObservation => ({
    kind: 'failed',
    providerStatus: String(status),
    failure: { code, retryable: false, detail },
  });
  if (status === 'ERROR') {
    const code = hasContentPolicyViolation(payload) ? FailureCode.contentModerated : FailureCode.providerError;
    return { requestId, observation: failed(code, { error: json['error'], payload }) };
  }
  if (status !== 'OK') throw new ProviderPayloadError(`fal webhook with an unknown status ${JSON.stringify(status)}`);
  if (payload === null || payload === undefined) {
    // fal could not read the model's answer as JSON; the result is lost for us.
    return { requestId, observation: failed(FailureCode.providerError, { payload_error: json['payload_error'] ?? 'no payload' }) };
  }
  const images = resultImages(payload);
  if (!images) return { requestId, observation: failed(FailureCode.providerError, { message: 'no readable image in the payload', payload }) };
  return { requestId, observation: { kind: 'succeeded', providerStatus: 'OK', images } };
}
