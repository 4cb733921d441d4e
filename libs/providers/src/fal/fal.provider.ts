import { FailureCode } from '@darkroom/contracts';
import { epochMs, systemClock } from '@darkroom/kernel';
import {
  ProviderPayloadError,
  type ImageProvider,
  type JobObservation,
  type ProviderJobRef,
  type ProviderSubmitRequest,
  type SubmitOutcome,
  type WebhookDelivery,
  type WebhookHeaders,
} from '../image-provider';
import { callProvider, failureFromHttp, parseJson, type HttpAnswer } from '../http/provider-http';
import type { FalSettings } from '../provider-settings';
import { falHttpFailure, isRecord, isTransientAnswer } from './fal-failure';
import { falJobUrls, falSubmitCall, type FalJobUrls } from './fal-request';
import { falDeliveryId, falSignedHeaders, falSignedMessage } from './fal-signature';
import { observeQueueStatus, readFalWebhook, resultImages } from './fal-status';
import { FalWebhookKeys } from './fal-webhook-keys';

export interface FalProviderOptions {
  /** Milliseconds since the epoch; tests move it to check tolerance and key caching. */
  readonly now?: () => number;
}

/**
 * fal's queue API over plain HTTP. Not `@fal-ai/client`: it has no clean way to aim the queue
 * at a custom base URL (our fakes), and it retries on its own behind our retry policy.
 */
export class FalProvider implements ImageProvider {
  readonly name = 'fal';
  readonly mode = 'async';
  private readonly now: () => number;
  private readonly keys: FalWebhookKeys;

  constructor(
    private readonly settings: FalSettings,
    options: FalProviderOptions = {},
  ) {
    this.now = options.now ?? epochMs(systemClock);
    this.keys = new FalWebhookKeys(settings.jwksUrl, settings.requestTimeoutMs, this.now);
  }

  async submit(request: ProviderSubmitRequest): Promise<SubmitOutcome> {
    const call = falSubmitCall(this.settings.baseUrl, request);
    const result = await this.http(call.url, 'POST', JSON.stringify(call.body));
    if (!result.ok) return { kind: 'failed', failure: result.failure };
    const { answer } = result;
    if (answer.status < 200 || answer.status >= 300) return { kind: 'failed', failure: falHttpFailure(answer) };
    const body = isRecord(answer.json) ? answer.json : {};
    const requestId = body['request_id'];
    if (typeof requestId !== 'string' || requestId === '') {
      // It may have been queued, but without its id we cannot follow it; a retry would duplicate it.
      const detail = { httpStatus: answer.status, message: 'submit answer without a request_id', body: answer.json ?? answer.text.slice(0, 2000) };
      return { kind: 'failed', failure: { code: FailureCode.providerError, retryable: false, detail } };
    }
    const built = falJobUrls(this.settings.baseUrl, request.providerModel, requestId);
    const given = (name: string, fallback: string) => (typeof body[name] === 'string' && body[name] !== '' ? (body[name] as string) : fallback);
    const handle = { status: given('status_url', built.status), response: given('response_url', built.response), cancel: given('cancel_url', built.cancel) };
    return { kind: 'accepted', job: { providerJobId: requestId, providerModel: request.providerModel, handle } };
  }

  async poll(job: ProviderJobRef): Promise<JobObservation> {
    const urls = this.urlsOf(job);
    const status = await this.http(urls.status, 'GET');
    if (!status.ok) return pollError('network');
    if (!is2xx(status.answer)) return statusErrorObservation(status.answer);
    const observed = observeQueueStatus(status.answer.json);
    if (observed === undefined) return malformed('status', status.answer);
    if (observed !== 'completed') return observed;

    const result = await this.http(urls.response, 'GET');
    if (!result.ok) return pollError('network');
    const { answer } = result;
    if (is2xx(answer)) {
      const images = resultImages(answer.json);
      return images ? { kind: 'succeeded', providerStatus: 'COMPLETED', images } : malformed('result', answer);
    }
    if (isTransientAnswer(answer)) return pollError(answer.status);
    return { kind: 'failed', providerStatus: 'COMPLETED', failure: falHttpFailure(answer) };
  }

  async cancel(job: ProviderJobRef): Promise<void> {
    // Best effort: fal removes a queued request, asks a running one to stop, and ignores the rest.
    await this.http(this.urlsOf(job).cancel, 'PUT');
  }

  async verifyWebhook(headers: WebhookHeaders, rawBody: Buffer): Promise<boolean> {
    try {
      const signed = falSignedHeaders(headers);
      if (!signed) return false;
      if (Math.abs(this.now() / 1000 - Number(signed.timestamp)) > this.settings.webhookToleranceSeconds) return false;
      return await this.keys.verify(falSignedMessage(signed, rawBody), signed.signature);
    } catch {
      return false;
    }
  }

  parseWebhook(headers: WebhookHeaders, rawBody: Buffer): WebhookDelivery {
    const signed = falSignedHeaders(headers);
    if (!signed) throw new ProviderPayloadError('fal webhook without its signature headers');
    const { requestId, observation } = readFalWebhook(parseJson(rawBody.toString('utf8')));
    // The body carries the result itself, signed: no need to poll again.
    return { providerJobId: requestId, deliveryId: falDeliveryId(signed), observation, confirmByPoll: false };
  }

  private urlsOf(job: ProviderJobRef): FalJobUrls {
    const built = falJobUrls(this.settings.baseUrl, job.providerModel, job.providerJobId);
    return { status: job.handle?.['status'] ?? built.status, response: job.handle?.['response'] ?? built.response, cancel: job.handle?.['cancel'] ?? built.cancel };
  }

  private http(url: string, method: 'GET' | 'POST' | 'PUT', body?: string) {
    const headers: Record<string, string> = { authorization: `Key ${this.settings.apiKey}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return callProvider(url, { method, headers, body }, this.settings.requestTimeoutMs);
  }
}

const is2xx = (answer: HttpAnswer) => answer.status >= 200 && answer.status < 300;

/** The poll could not get an answer; the request may be fine, so it stays pending. */
const pollError = (reason: number | string): JobObservation => ({ kind: 'pending', providerStatus: `poll_error:${reason}` });

/** A failed status call: transient trouble keeps the job pending, an unknown request fails it. */
function statusErrorObservation(answer: HttpAnswer): JobObservation {
  if (failureFromHttp(answer).retryable) return pollError(answer.status);
  return { kind: 'failed', providerStatus: `http:${answer.status}`, failure: falHttpFailure(answer) };
}

function malformed(what: string, answer: HttpAnswer): JobObservation {
  const detail = { httpStatus: answer.status, message: `unreadable ${what} answer`, body: answer.json ?? answer.text.slice(0, 2000) };
  return { kind: 'failed', providerStatus: 'malformed', failure: { code: FailureCode.providerError, retryable: false, detail } };
}
