import { FailureCode } from '@darkroom/contracts';
import type { JobObservation, ProviderFailure } from '../image-provider';
import { failureFromHttp, type HttpAnswer } from '../http/provider-http';

/** What `get_result` and webhooks say about a task. */
export interface BflResultBody {
  readonly id?: string;
  readonly status: string;
  readonly result?: { readonly sample?: unknown } | null;
  readonly progress?: number | null;
}

export function isBflResultBody(json: unknown): json is BflResultBody {
  return json !== null && typeof json === 'object' && typeof (json as { status?: unknown }).status === 'string';
}

/** A task's status word, mapped. The whole body is kept as the failure detail. */
export function bflObservation(body: BflResultBody): JobObservation {
  const providerStatus = body.status;
  const failed = (code: ProviderFailure['code']): JobObservation => ({ kind: 'failed', providerStatus, failure: { code, retryable: false, detail: body } });
  switch (providerStatus) {
    case 'Pending':
      return { kind: 'pending', providerStatus };
    case 'Ready': {
      const sample = body.result?.sample;
      // The sample is a signed URL that expires after about ten minutes: copy it at once.
      if (typeof sample === 'string' && sample !== '') return { kind: 'succeeded', providerStatus, images: [{ kind: 'url', url: sample }] };
      return failed(FailureCode.providerError);
    }
    case 'Request Moderated':
    case 'Content Moderated':
      return failed(FailureCode.contentModerated);
    // `Failed` is not in BFL's enum, but their own quick-start checks for it.
    case 'Error':
    case 'Failed':
    case 'Task not found':
      return failed(FailureCode.providerError);
    default:
      // An unknown word is no proof of failure; the task's deadline bounds the wait.
      return { kind: 'pending', providerStatus };
  }
}

/** A non-200 submit. BFL may put the wait in the body (`retry_after`) instead of a header. */
export function bflSubmitFailure(answer: HttpAnswer): ProviderFailure {
  const failure = failureFromHttp(answer);
  if (!failure.retryable || failure.retryAfterSeconds !== undefined) return failure;
  const retryAfter = Number((answer.json as { retry_after?: unknown } | undefined)?.retry_after);
  return Number.isFinite(retryAfter) && retryAfter >= 0 ? { ...failure, retryAfterSeconds: retryAfter } : failure;
}
