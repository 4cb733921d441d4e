import { FailureCode } from '@darkroom/contracts';
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { ProviderFailure } from '../image-provider';
import { networkFailure, retryAfterSeconds } from '../http/provider-http';

/**
 * Maps whatever the OpenAI SDK threw to a failure. The SDK runs with `maxRetries: 0`, so
 * every 429 and 5xx reaches us and our own retry policy decides.
 */
export function openAiFailure(error: unknown): ProviderFailure {
  if (error instanceof APIConnectionTimeoutError) return { code: FailureCode.providerError, retryable: true, detail: { network: 'timeout' } };
  if (error instanceof APIConnectionError) return networkFailure(error.cause ?? error);
  if (error instanceof APIError && error.status !== undefined && error.headers) return fromHttp(error, error.status, error.headers);
  // A 200 whose body is not JSON: the request was answered, so sending it again is not obviously safe.
  // By name, not instanceof: `response.json()` throws the SyntaxError of fetch's own realm.
  if ((error as Error)?.name === 'SyntaxError') {
    return { code: FailureCode.providerError, retryable: false, detail: { malformedResponse: (error as Error).message } };
  }
  // Anything else was thrown while reading the answer (e.g. the socket closed mid-body).
  return networkFailure(error);
}

function fromHttp(error: APIError, status: number, headers: Headers): ProviderFailure {
  const detail = {
    httpStatus: status,
    error: { message: messageOf(error), type: error.type ?? null, param: error.param ?? null, code: error.code ?? null },
    requestId: error.requestID ?? null,
  };
  if (error.code === 'moderation_blocked') return { code: FailureCode.contentModerated, retryable: false, detail };

  const retryable = shouldRetry(status, headers);
  if (retryable) {
    const retryAfter = retryAfterSeconds(headers);
    return { code: FailureCode.providerError, retryable, ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }), detail };
  }
  const rejected = status === 400 || status === 422;
  return { code: rejected ? FailureCode.providerRejected : FailureCode.providerError, retryable: false, detail };
}

/** The rule the SDK itself follows: an explicit `x-should-retry` wins over the status. */
function shouldRetry(status: number, headers: Headers): boolean {
  const hint = headers.get('x-should-retry');
  if (hint === 'true') return true;
  if (hint === 'false') return false;
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

function messageOf(error: APIError): string {
  const body = error.error as { message?: unknown } | undefined;
  return typeof body?.message === 'string' ? body.message : error.message;
}
