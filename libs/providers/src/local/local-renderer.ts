import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import type { ImageProvider, JobObservation, ProviderSubmitRequest, SubmitOutcome, WebhookDelivery } from '../image-provider';
import { artworkSvg } from './local-artwork';

/** Largest side and batch the renderer accepts; keeps one request from starving the process. */
export const LOCAL_MAX_SIDE = 4096;
export const LOCAL_MAX_N = 16;
/** Longest `[slow]` wait honoured. */
export const MAX_SLOW_MS = 30_000;

/**
 * The built-in provider: renders abstract PNGs with no external account. Image `i` of a
 * request is a pure function of (prompt, width, height, seed, i), so the same request
 * gives byte-identical images and a new seed gives new ones.
 *
 * With `testMarkers` on (never in production: any API user could use them), markers in the
 * prompt drive the failure and timing paths:
 * - `[slow:<ms>]` waits that many milliseconds (at most `MAX_SLOW_MS`) before doing anything
 *   else (e.g. "a cat [slow:5000]"), to exercise cancellation and deadlines.
 * - `[fail]` returns `{ kind: 'failed', code: 'provider_error', retryable: false }`
 *   (after any `[slow]` wait), a deterministic provider failure.
 */
export class LocalRenderer implements ImageProvider {
  readonly name = 'local';
  readonly mode = 'sync';

  constructor(private readonly options: { readonly testMarkers?: boolean } = {}) {}

  async submit(request: ProviderSubmitRequest): Promise<SubmitOutcome> {
    if (this.options.testMarkers) {
      const marked = await this.followMarkers(request.prompt);
      if (marked) return marked;
    }
    const invalid = validate(request);
    if (invalid) return { kind: 'failed', failure: { code: 'invalid_input', retryable: false, detail: { message: invalid } } };

    const images = await Promise.all(
      Array.from({ length: request.n }, async (_, index) => ({
        kind: 'bytes' as const,
        bytes: await render(artworkSvg({ ...request, index })),
        contentType: 'image/png',
      })),
    );
    return { kind: 'completed', images };
  }

  /** Synchronous: there is never a job to poll. */
  poll(): Promise<JobObservation> {
    return Promise.reject(new Error('The local renderer is synchronous and has no jobs to poll'));
  }

  async cancel(): Promise<void> {
    // Nothing runs after `submit` returns, so there is nothing to cancel.
  }

  /** The local renderer never calls back. */
  async verifyWebhook(): Promise<boolean> {
    return false;
  }

  parseWebhook(): WebhookDelivery {
    throw new Error('The local renderer sends no webhooks');
  }

  private async followMarkers(prompt: string): Promise<SubmitOutcome | undefined> {
    const slow = /\[slow:(\d+)\]/.exec(prompt);
    if (slow) await sleep(Math.min(Number(slow[1]), MAX_SLOW_MS));
    if (prompt.includes('[fail]')) {
      return {
        kind: 'failed',
        failure: {
          code: 'provider_error',
          retryable: false,
          detail: { message: 'The local renderer was asked to fail by the "[fail]" marker in the prompt.' },
        },
      };
    }
    return undefined;
  }
}

function validate({ width, height, n }: ProviderSubmitRequest): string | undefined {
  const side = (value: number) => Number.isInteger(value) && value >= 1 && value <= LOCAL_MAX_SIDE;
  if (!side(width) || !side(height)) return `width and height must be integers from 1 to ${LOCAL_MAX_SIDE}`;
  if (!Number.isInteger(n) || n < 1 || n > LOCAL_MAX_N) return `n must be an integer from 1 to ${LOCAL_MAX_N}`;
  return undefined;
}

async function render(svg: string): Promise<Buffer> {
  // The SVG's integer width/height set the output size; no resize needed.
  return sharp(Buffer.from(svg)).png({ compressionLevel: 6 }).toBuffer();
}
