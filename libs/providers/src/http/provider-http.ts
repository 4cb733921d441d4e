import { FailureCode } from '@darkroom/contracts';
import { systemClock } from '@darkroom/kernel';
import { decodeBase64Capped } from './decode-base64-capped';
import type { ProviderFailure, ProviderImage, ProviderInputImage } from '../image-provider';

/** An HTTP answer, read whole; `json` is undefined when the body is not JSON. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: unknown;
}

/**
 * One HTTP call with a timeout. Resolves with any HTTP status; a network error or a
 * timeout resolves as a retryable `ProviderFailure` instead of throwing.
 */
export async function callProvider(
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<{ readonly ok: true; readonly answer: HttpAnswer } | { readonly ok: false; readonly failure: ProviderFailure }> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    return { ok: true, answer: { status: response.status, headers: response.headers, text, json: parseJson(text) } };
  } catch (error) {
    return { ok: false, failure: networkFailure(error) };
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Seconds to wait from `retry-after-ms`, `retry-after` (delta-seconds or an HTTP date);
 * undefined when none is given or it cannot be read. An HTTP date counts from `nowMs`, which
 * tests fix; the adapters, which keep no clock, leave it to the system clock's.
 */
export function retryAfterSeconds(headers: Headers, nowMs: number = systemClock.now().getTime()): number | undefined {
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') !== null && Number.isFinite(ms) && ms >= 0) return ms / 1000;
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - nowMs) / 1000);
}

/**
 * The common mapping of a non-2xx answer: 408, 409, 429 and 5xx may succeed on another
 * attempt; other 4xx are the provider refusing this request. Adapters refine it (moderation
 * codes, provider-specific retry hints) before falling back to this.
 */
export function failureFromHttp(answer: HttpAnswer): ProviderFailure {
  const { status } = answer;
  const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
  const retryAfter = retryAfterSeconds(answer.headers);
  return {
    code: retryable ? FailureCode.providerError : status === 400 || status === 422 ? FailureCode.providerRejected : FailureCode.providerError,
    retryable,
    ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }),
    detail: { httpStatus: status, body: answer.json ?? truncate(answer.text) },
  };
}

export function networkFailure(error: unknown): ProviderFailure {
  const name = (error as Error)?.name;
  const timedOut = name === 'TimeoutError' || name === 'AbortError';
  const cause = (error as { cause?: { code?: string } })?.cause?.code;
  return {
    code: FailureCode.providerError,
    retryable: true,
    detail: { network: timedOut ? 'timeout' : (cause ?? (error as Error)?.message ?? String(error)) },
  };
}

/** Header value as one string (the first, when a header came more than once). */
export function header(headers: Readonly<Record<string, string | readonly string[] | undefined>>, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return typeof value === 'string' ? value : value?.[0];
}

const truncate = (text: string) => (text.length > 2000 ? `${text.slice(0, 2000)}…` : text);

/**
 * A result image given as a URI: a `data:` URI becomes bytes (some providers inline small
 * outputs), anything else a URL to copy from. Undefined for a `data:` URI we cannot read.
 */
export function imageFromUri(uri: string, contentType?: string): ProviderImage | undefined {
  if (!uri.startsWith('data:')) return { kind: 'url', url: uri, ...(contentType ? { contentType } : {}) };
  const comma = uri.indexOf(',');
  if (comma < 0) return undefined;
  const meta = uri.slice('data:'.length, comma).split(';');
  const data = uri.slice(comma + 1);
  try {
    if (meta.includes('base64')) {
      const decoded = decodeBase64Capped(data);
      return decoded.ok ? { kind: 'bytes', bytes: decoded.bytes, contentType: meta[0] || contentType || 'application/octet-stream' } : undefined;
    }
    const bytes = Buffer.from(decodeURIComponent(data), 'utf8');
    return { kind: 'bytes', bytes, contentType: meta[0] || contentType || 'application/octet-stream' };
  } catch {
    return undefined;
  }
}

/** An input image as a link when we have one, else its bytes inline as a `data:` URI. */
export function imageUri(image: ProviderInputImage): string {
  return image.url ?? `data:${image.contentType};base64,${image.bytes.toString('base64')}`;
}
