import { FailureCode } from '@darkroom/contracts';
import { ProviderPayloadError, type JobObservation, type ProviderFailure, type ProviderImage } from '../image-provider';
import { imageFromUri } from '../http/provider-http';

/** The parts of a Replicate prediction object the adapter reads. */
export interface ReplicatePrediction {
  readonly id: string;
  /** starting | processing | succeeded | failed | canceled | aborted, verbatim. */
  readonly status: string;
  /** `string | string[]` of URIs once there is output; null before and after deletion. */
  readonly output: unknown;
  readonly error: unknown;
  /** Set once Replicate deleted inputs and outputs (about an hour after completion). */
  readonly dataRemoved: boolean;
  readonly urls: { readonly get?: string; readonly cancel?: string };
}

/** Throws `ProviderPayloadError` when `json` has no prediction id or status. */
export function readPrediction(json: unknown): ReplicatePrediction {
  if (!isRecord(json) || typeof json['id'] !== 'string' || json['id'] === '' || typeof json['status'] !== 'string') {
    throw new ProviderPayloadError('Replicate sent something that is not a prediction (no id or status)');
  }
  const urls = isRecord(json['urls']) ? json['urls'] : {};
  return {
    id: json['id'],
    status: json['status'],
    output: json['output'] ?? null,
    error: json['error'] ?? null,
    dataRemoved: json['data_removed'] === true,
    urls: { get: stringOrUndefined(urls['get']), cancel: stringOrUndefined(urls['cancel']) },
  };
}

export function observePrediction(prediction: ReplicatePrediction): JobObservation {
  const providerStatus = prediction.status;
  switch (prediction.status) {
    case 'succeeded':
      return succeeded(prediction);
    case 'failed':
      return { kind: 'failed', providerStatus, failure: predictionFailure(prediction) };
    case 'canceled':
    case 'aborted':
      return { kind: 'canceled', providerStatus };
    default:
      // `processing` may already carry output (files appear before the model returns), but
      // only `succeeded` says the output is complete; unknown words are treated as not done.
      return { kind: 'pending', providerStatus };
  }
}

/** Replicate reports moderation only in the error text, and the wording is per model. */
const moderationWords = /nsfw|safety|sensitive|moderat/i;

/** A `failed` prediction: the model ran and refused or broke, so this attempt is over. */
export function predictionFailure(prediction: Pick<ReplicatePrediction, 'status' | 'error'>): ProviderFailure {
  const text = typeof prediction.error === 'string' ? prediction.error : JSON.stringify(prediction.error ?? '');
  return {
    code: moderationWords.test(text) ? FailureCode.contentModerated : FailureCode.providerError,
    retryable: false,
    detail: { status: prediction.status, error: prediction.error },
  };
}

function succeeded(prediction: ReplicatePrediction): JobObservation {
  const providerStatus = prediction.status;
  const fail = (message: string): JobObservation => ({
    kind: 'failed',
    providerStatus,
    failure: { code: FailureCode.providerError, retryable: false, detail: { status: providerStatus, message, output: prediction.output } },
  });
  if (prediction.output === null && prediction.dataRemoved) return fail('outputs deleted by the provider');
  const images = outputImages(prediction.output);
  return images ? { kind: 'succeeded', providerStatus, images } : fail('no readable image in the output');
}

/** `output` is one URI or a list of them (per model); undefined when there is no image in it. */
export function outputImages(output: unknown): ProviderImage[] | undefined {
  const uris = typeof output === 'string' ? [output] : Array.isArray(output) ? output : [];
  const images = uris.map((uri) => (typeof uri === 'string' ? imageFromUri(uri) : undefined));
  if (images.length === 0 || images.some((image) => image === undefined)) return undefined;
  return images as ProviderImage[];
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const stringOrUndefined = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
