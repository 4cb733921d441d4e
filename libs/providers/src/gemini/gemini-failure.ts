import { FailureCode } from '@darkroom/contracts';
import type { ProviderFailure } from '../image-provider';
import { retryAfterSeconds, type HttpAnswer } from '../http/provider-http';

/** Google's error envelope: `{error: {code, message, status, details}}`. */
interface GoogleError {
  readonly code?: number;
  readonly message?: string;
  readonly status?: string;
  readonly details?: readonly { readonly '@type'?: string; readonly retryDelay?: string; readonly reason?: string }[];
}

/**
 * A non-200 answer. 429 `RESOURCE_EXHAUSTED`, 5xx and 408 may succeed later; a 400 or 404
 * is the model refusing this request; a 403 (or a 400 for a bad key) is our account's problem.
 */
export function geminiHttpFailure(answer: HttpAnswer): ProviderFailure {
  const { status } = answer;
  const error = envelope(answer.json);
  const detail = { httpStatus: status, error: error ?? answer.text.slice(0, 2000) };
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfter = retryAfterSeconds(answer.headers) ?? retryDelaySeconds(error);
    return { code: FailureCode.providerError, retryable: true, ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }), detail };
  }
  const badKey = error?.details?.some((d) => d.reason === 'API_KEY_INVALID') ?? false;
  const rejected = (status === 400 || status === 404) && !badKey;
  return { code: rejected ? FailureCode.providerRejected : FailureCode.providerError, retryable: false, detail };
}

/** `google.rpc.RetryInfo.retryDelay` is a protobuf Duration in JSON: "5s", "1.5s". */
export function retryDelaySeconds(error: GoogleError | undefined): number | undefined {
  const info = error?.details?.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo');
  const match = /^(\d+(?:\.\d+)?)s$/.exec(info?.retryDelay ?? '');
  return match ? Number(match[1]) : undefined;
}

function envelope(json: unknown): GoogleError | undefined {
  const error = (json as { error?: unknown } | undefined)?.error;
  return error !== null && typeof error === 'object' ? (error as GoogleError) : undefined;
}
