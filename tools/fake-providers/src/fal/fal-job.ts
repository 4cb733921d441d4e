/** fal's queue words; there is no FAILED or CANCELED status (failure shows in the result). */
export type FalQueueStatus = 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED';

/** What the result endpoint answers once the request completed. */
export interface FalResult {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string>>;
}

/** The fake's state for one queued request. */
export interface FalJob {
  readonly id: string;
  /** Differs from `id` when the fake pretends fal retried the request internally. */
  readonly gatewayId: string;
  /** `owner/app[/subpath]`, as submitted. */
  readonly endpoint: string;
  /** `owner/app`: status, result and cancel live here. */
  readonly root: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly webhook?: string;
  readonly directives: ReadonlyMap<string, string>;
  status: FalQueueStatus;
  /** Positions still ahead (0 = next). */
  queuePosition: number;
  logs: { message: string; level: string; source: string; timestamp: string }[];
  startedAt?: number;
  completedAt?: number;
  cancelRequested: boolean;
  result?: FalResult;
  /** The result expired (retention): the result endpoint answers 404/410. */
  resultGone: boolean;
  /** PNGs served under /files/{id}/{index}.png until the media expire. */
  images: Buffer[];
  timer?: NodeJS.Timeout;
}

export function jobUrls(queueUrl: string, job: FalJob) {
  const request = `${queueUrl}/${job.root}/requests/${job.id}`;
  return { response_url: request, status_url: `${request}/status`, cancel_url: `${request}/cancel` };
}

/** `GET …/status`: the status object, logs only when `logs=1`. */
export function statusView(queueUrl: string, job: FalJob, withLogs: boolean): Record<string, unknown> {
  return {
    status: job.status,
    request_id: job.id,
    ...jobUrls(queueUrl, job),
    ...(job.status === 'IN_QUEUE' ? { queue_position: job.queuePosition } : {}),
    logs: withLogs && job.status !== 'IN_QUEUE' ? job.logs : null,
    ...(job.status === 'COMPLETED' && job.startedAt && job.completedAt
      ? { metrics: { inference_time: (job.completedAt - job.startedAt) / 1000 } }
      : {}),
  };
}

/** Infrastructure error types fal documents, with the HTTP status each comes with. */
export function infraErrorStatus(errorType: string): number {
  if (errorType === 'request_timeout' || errorType === 'startup_timeout') return 504;
  if (errorType.startsWith('runner_') && errorType !== 'runner_server_error') return 503;
  return 500;
}

/** The failed result a prompt's directives ask for, or undefined for a success. */
export function failedResult(directives: ReadonlyMap<string, string>, prompt: string): FalResult | undefined {
  const json = { 'content-type': 'application/json' };
  if (directives.has('moderated')) {
    const detail = [
      {
        loc: ['body', 'prompt'],
        msg: 'The content could not be processed because it contained material flagged by a content checker.',
        type: 'content_policy_violation',
        url: 'https://docs.fal.ai/errors#content_policy_violation',
        ctx: {},
        input: prompt,
      },
    ];
    return { status: 422, body: { detail }, headers: { ...json, 'x-fal-retryable': 'false' } };
  }
  if (directives.has('invalid')) {
    const detail = [{ loc: ['body', 'image_size'], msg: 'Input should be a valid image size', type: 'value_error', input: null }];
    return { status: 422, body: { detail }, headers: json };
  }
  if (directives.has('user-timeout')) {
    const body = { detail: 'Request timed out before it could start', error_type: 'request_timeout' };
    return { status: 504, body, headers: { ...json, 'x-fal-error-type': 'request_timeout', 'x-fal-request-timeout-type': 'user' } };
  }
  if (directives.has('fail')) {
    const errorType = directives.get('fail') || 'runner_server_error';
    const body = { detail: `The request failed (${errorType})`, error_type: errorType };
    return { status: infraErrorStatus(errorType), body, headers: { ...json, 'x-fal-error-type': errorType } };
  }
  return undefined;
}
