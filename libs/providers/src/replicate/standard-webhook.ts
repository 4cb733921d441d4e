import { timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { WebhookHeaders } from '../image-provider';
import { header } from '../http/provider-http';

export interface StandardWebhookCheck {
  /** `whsec_<base64 key>`. */
  readonly secret: string;
  readonly headers: WebhookHeaders;
  readonly rawBody: Buffer;
  readonly nowMs: number;
  readonly toleranceSeconds: number;
}

/**
 * Standard Webhooks (Svix) verification: HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`,
 * any `v1,<base64>` entry of `webhook-signature` may match (several during a secret rotation).
 *
 * The library computes the HMAC, but we compare and check the time ourselves: its `verify`
 * reads `Date.now()` with a fixed five-minute window, so it can honour neither our
 * configured tolerance nor an injected clock. Never throws.
 */
export function verifyStandardWebhook({ secret, headers, rawBody, nowMs, toleranceSeconds }: StandardWebhookCheck): boolean {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures || !/^\d{1,12}$/.test(timestamp)) return false;
  const seconds = Number(timestamp);
  if (Math.abs(nowMs / 1000 - seconds) > toleranceSeconds) return false;
  try {
    const expected = Buffer.from(new Webhook(secret).sign(id, new Date(seconds * 1000), rawBody.toString('utf8')).slice('v1,'.length));
    return signatures.split(' ').some((entry) => {
      const [version, signature] = entry.split(',');
      if (version !== 'v1' || !signature) return false;
      const given = Buffer.from(signature);
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
  } catch {
    return false;
  }
}
