import { FailureCode } from '@darkroom/contracts';
import type { JobObservation, ProviderFailure } from '../image-provider';
import { failureFromHttp, type HttpAnswer } from '../http/provider-http';

/** A non-2xx answer to create, get or cancel, mapped to our codes (body is RFC 7807). */
export function replicateHttpFailure(answer: HttpAnswer): ProviderFailure {
  const failure = failureFromHttp(answer);
  if (answer.status === 422) return { ...failure, code: FailureCode.providerRejected, retryable: false };
  // A bad or revoked token is our configuration, not the user's request, and will not heal by retrying.
  if (answer.status === 401 || answer.status === 403) return { ...failure, code: FailureCode.providerError, retryable: false };
  return failure;
}

/**
 * What a non-2xx answer to `GET /predictions/{id}` says about the job. Throttling, 5xx and
 * timeouts say nothing (the prediction may be fine), so the job stays pending and the
 * poller asks again; only a definitive answer fails it.
 */
export function pollAnswerObservation(answer: HttpAnswer): JobObservation {
  const providerStatus = `http:${answer.status}`;
  const failure = replicateHttpFailure(answer);
  if (answer.status === 404 || answer.status === 410) {
    return { kind: 'failed', providerStatus, failure: { ...failure, code: FailureCode.providerError, retryable: false } };
  }
  return failure.retryable ? pollError(answer.status) : { kind: 'failed', providerStatus, failure };
}

/** The poll could not get an answer; `reason` is the HTTP status or `network`. */
export const pollError = (reason: number | string): JobObservation => ({ kind: 'pending', providerStatus: `poll_error:${reason}` });
