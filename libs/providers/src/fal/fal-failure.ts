import { FailureCode } from '@darkroom/contracts';
import type { ProviderFailure } from '../image-provider';
import { failureFromHttp, type HttpAnswer } from '../http/provider-http';

/**
 * A non-2xx answer from fal (submit, or the result of a finished request). Model errors
 * carry `{detail: [{loc, msg, type}]}`; infrastructure errors `{detail, error_type}` and the
 * `X-Fal-Error-Type` header, and fal retries those itself before giving up, so another
 * attempt of ours may still succeed.
 */
export function falHttpFailure(answer: HttpAnswer): ProviderFailure {
  const base = failureFromHttp(answer);
  const errorType = answer.headers.get('x-fal-error-type') ?? errorTypeOf(answer.json);
  const detail = { ...(base.detail as object), ...(errorType ? { errorType } : {}) };
  if (hasContentPolicyViolation(answer.json)) return { code: FailureCode.contentModerated, retryable: false, detail };
  // The caller's own time-to-start limit (X-Fal-Request-Timeout) ran out: retrying repeats it.
  if (answer.headers.get('x-fal-request-timeout-type') === 'user') return { code: FailureCode.timeout, retryable: false, detail };
  // Unknown or expired request, bad key: nothing a retry can change.
  if ([401, 403, 404, 410].includes(answer.status)) return { code: FailureCode.providerError, retryable: false, detail };
  if (base.retryable) return { ...base, detail };
  return { code: FailureCode.providerRejected, retryable: false, detail };
}

/**
 * True when an answer says nothing about the request itself: throttling, or an edge error
 * without fal's error header or body (an HTML 502 from a proxy). Such a result or status call
 * is worth repeating; the request may be fine.
 */
export function isTransientAnswer(answer: HttpAnswer): boolean {
  if (answer.status === 429) return true;
  if (!failureFromHttp(answer).retryable) return false;
  return answer.headers.get('x-fal-error-type') === null && !(isRecord(answer.json) && 'detail' in answer.json);
}

export function hasContentPolicyViolation(body: unknown): boolean {
  const detail = isRecord(body) ? body['detail'] : undefined;
  return Array.isArray(detail) && detail.some((entry) => isRecord(entry) && entry['type'] === 'content_policy_violation');
}

const errorTypeOf = (body: unknown) => (isRecord(body) && typeof body['error_type'] === 'string' ? body['error_type'] : undefined);

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
