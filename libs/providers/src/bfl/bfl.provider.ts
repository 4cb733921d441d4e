import { FailureCode } from '@darkroom/contracts';
import type {
  ImageProvider,
  JobObservation,
  ProviderJobRef,
  ProviderSubmitRequest,
  SubmitOutcome,
  WebhookDelivery,
  WebhookHeaders,
} from '../image-provider';
import { callProvider, failureFromHttp, header } from '../http/provider-http';
import type { BflSettings } from '../provider-settings';
import { BFL_MAX_INPUT_IMAGES, bflSubmitBody } from './bfl-request';
import { bflObservation, bflSubmitFailure, isBflResultBody } from './bfl-status';
import { parseBflWebhook, verifyBflSignature } from './bfl-webhook';

/**
 * Black Forest Labs FLUX: submit a task, then poll its `polling_url` (or take a webhook, which
 * we only treat as a hint). Plain HTTP: BFL publishes no official SDK.
 */
export class BflProvider implements ImageProvider {
  readonly name = 'bfl';
  readonly mode = 'async';

  constructor(private readonly settings: BflSettings) {}

  async submit(request: ProviderSubmitRequest): Promise<SubmitOutcome> {
    const body = bflSubmitBody(request, this.settings.webhookSecret);
    if (!body) {
      const message = `FLUX takes at most ${BFL_MAX_INPUT_IMAGES} input and reference images`;
      return { kind: 'failed', failure: { code: FailureCode.invalidInput, retryable: false, detail: { message } } };
    }
    const url = `${this.settings.baseUrl}/v1/${encodeURIComponent(request.providerModel)}`;
    const init = { method: 'POST', headers: this.headers({ 'content-type': 'application/json' }), body: JSON.stringify(body) };
    const call = await callProvider(url, init, this.settings.requestTimeoutMs);
    if (!call.ok) return { kind: 'failed', failure: call.failure };
    const { answer } = call;
    if (answer.status !== 200) return { kind: 'failed', failure: bflSubmitFailure(answer) };

    const { id, polling_url: pollingUrl } = (answer.json ?? {}) as { id?: unknown; polling_url?: unknown };
    if (typeof id !== 'string' || id === '') {
      const detail = { malformedResponse: answer.text.slice(0, 2000) };
      return { kind: 'failed', failure: { code: FailureCode.providerError, retryable: false, detail } };
    }
    const handle = typeof pollingUrl === 'string' && pollingUrl !== '' ? { handle: { pollingUrl } } : {};
    return { kind: 'accepted', job: { providerJobId: id, providerModel: request.providerModel, ...handle } };
  }

  /**
   * Asks the task's `polling_url` verbatim: it may point at the cluster that holds the task,
   * not the host we submitted to. Trouble reaching it is not the task failing: 429, 5xx and
   * network errors read as still pending, and the next poll (or the deadline) decides.
   */
  async poll(job: ProviderJobRef): Promise<JobObservation> {
    const url = job.handle?.['pollingUrl'] ?? `${this.settings.baseUrl}/v1/get_result?id=${encodeURIComponent(job.providerJobId)}`;
    const call = await callProvider(url, { method: 'GET', headers: this.headers({ accept: 'application/json' }) }, this.settings.requestTimeoutMs);
    if (!call.ok) return { kind: 'pending', providerStatus: 'poll_error:network' };
    const { answer } = call;
    if (answer.status === 200) {
      return isBflResultBody(answer.json) ? bflObservation(answer.json) : { kind: 'pending', providerStatus: 'poll_error:malformed' };
    }
    const failure = failureFromHttp(answer);
    if (failure.retryable) return { kind: 'pending', providerStatus: `poll_error:${answer.status}` };
    return { kind: 'failed', providerStatus: `http_${answer.status}`, failure };
  }

  async cancel(): Promise<void> {
    // BFL has no cancel endpoint; the task runs to the end and we ignore its result.
  }

  /** False without a configured secret: an unsigned callback proves nothing. */
  async verifyWebhook(headers: WebhookHeaders, rawBody: Buffer): Promise<boolean> {
    try {
      return verifyBflSignature(this.settings.webhookSecret, header(headers, 'x-bfl-signature'), rawBody);
    } catch {
      return false;
    }
  }

  parseWebhook(headers: WebhookHeaders, rawBody: Buffer): WebhookDelivery {
    return parseBflWebhook(header(headers, 'x-bfl-signature'), rawBody);
  }

  private headers(extra: Record<string, string>): Record<string, string> {
    return { 'x-key': this.settings.apiKey, ...extra };
  }
}
