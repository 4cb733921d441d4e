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
import { callProvider, header, parseJson } from '../http/provider-http';
import type { ReplicateSettings } from '../provider-settings';
import { pollAnswerObservation, pollError, replicateHttpFailure } from './replicate-http-failure';
import { observePrediction, readPrediction } from './replicate-prediction';
import { predictionCall } from './replicate-request';
import { verifyStandardWebhook } from './standard-webhook';

export interface ReplicateProviderOptions {
  /** Milliseconds since the epoch; tests pin it to check signatures made at a fixed time. */
  readonly now?: () => number;
}

/**
 * Replicate's predictions API over plain HTTP. Not the `replicate` SDK: it retries a POST on
 * 429 by itself, which would hide attempts (and possibly duplicate predictions) from our own
 * retry policy.
 */
export class ReplicateProvider implements ImageProvider {
  readonly name = 'replicate';
  readonly mode = 'async';
  private readonly now: () => number;

  constructor(
    private readonly settings: ReplicateSettings,
    options: ReplicateProviderOptions = {},
  ) {
    this.now = options.now ?? epochMs(systemClock);
  }

  async submit(request: ProviderSubmitRequest): Promise<SubmitOutcome> {
    const call = predictionCall(this.settings.baseUrl, request);
    if (!call) {
      const detail = { message: `"${request.providerModel}" is not owner/name, owner/name:version or a version id` };
      return { kind: 'failed', failure: { code: FailureCode.providerError, retryable: false, detail } };
    }
    const result = await this.http(call.url, 'POST', JSON.stringify(call.body));
    if (!result.ok) return { kind: 'failed', failure: result.failure };
    const { answer } = result;
    if (answer.status < 200 || answer.status >= 300) return { kind: 'failed', failure: replicateHttpFailure(answer) };
    try {
      const prediction = readPrediction(answer.json);
      const handle = {
        get: prediction.urls.get ?? this.predictionUrl(prediction.id),
        cancel: prediction.urls.cancel ?? `${this.predictionUrl(prediction.id)}/cancel`,
      };
      return { kind: 'accepted', job: { providerJobId: prediction.id, providerModel: request.providerModel, handle } };
    } catch (error) {
      // The prediction may exist, but without its id we cannot follow it; a retry would duplicate it.
      const detail = { httpStatus: answer.status, message: (error as Error).message, body: answer.json ?? answer.text.slice(0, 2000) };
      return { kind: 'failed', failure: { code: FailureCode.providerError, retryable: false, detail } };
    }
  }

  async poll(job: ProviderJobRef): Promise<JobObservation> {
    const result = await this.http(job.handle?.['get'] ?? this.predictionUrl(job.providerJobId), 'GET');
    if (!result.ok) return pollError('network');
    const { answer } = result;
    if (answer.status < 200 || answer.status >= 300) return pollAnswerObservation(answer);
    try {
      return observePrediction(readPrediction(answer.json));
    } catch (error) {
      const detail = { httpStatus: answer.status, message: (error as Error).message, body: answer.text.slice(0, 2000) };
      return { kind: 'failed', providerStatus: 'malformed', failure: { code: FailureCode.providerError, retryable: false, detail } };
    }
  }

  async cancel(job: ProviderJobRef): Promise<void> {
    // Best effort: the answer (the prediction, or an error for a finished one) changes nothing for us.
    await this.http(job.handle?.['cancel'] ?? `${this.predictionUrl(job.providerJobId)}/cancel`, 'POST');
  }

  async verifyWebhook(headers: WebhookHeaders, rawBody: Buffer): Promise<boolean> {
    const secret = this.settings.webhookSecret;
    if (!secret) return false;
    return verifyStandardWebhook({ secret, headers, rawBody, nowMs: this.now(), toleranceSeconds: this.settings.webhookToleranceSeconds });
  }

  parseWebhook(headers: WebhookHeaders, rawBody: Buffer): WebhookDelivery {
    const deliveryId = header(headers, 'webhook-id');
    if (!deliveryId) throw new ProviderPayloadError('Replicate webhook without a webhook-id header');
    const prediction = readPrediction(parseJson(rawBody.toString('utf8')));
    // The body is the whole prediction, signed, so it is the truth: no need to poll again.
    return { providerJobId: prediction.id, deliveryId, observation: observePrediction(prediction), confirmByPoll: false };
  }

  private predictionUrl(id: string): string {
    return `${this.settings.baseUrl}/predictions/${encodeURIComponent(id)}`;
  }

  private http(url: string, method: 'GET' | 'POST', body?: string) {
    const headers: Record<string, string> = { authorization: `Bearer ${this.settings.apiKey}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return callProvider(url, { method, headers, body }, this.settings.requestTimeoutMs);
  }
}
