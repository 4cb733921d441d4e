import { createHmac, randomBytes } from 'node:crypto';
import { setTimeout as wait } from 'node:timers/promises';

/** `v1,<base64 HMAC-SHA256>` over `{id}.{timestamp}.{body}`, key = base64 after `whsec_` (Standard Webhooks). */
export function standardWebhookSignature(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** One POST the fake made to a webhook URL, for assertions. */
export interface SentWebhook {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** 1 for the first try of a message; retries of the same message count up. */
  readonly attempt: number;
  /** The receiver's HTTP status, absent when the POST failed outright (then `error`). */
  readonly status?: number;
  readonly error?: string;
}

export interface WebhookPolicy {
  readonly secret: string;
  /** Tries per message, the first included; retried on a non-2xx answer or a network error. */
  readonly attempts: number;
  readonly retryDelayMs: number;
  readonly timeoutMs: number;
  readonly clockSkewSeconds: number;
}

/**
 * Sends one event the way the prompt's directives ask: `lose-webhook`, `late-webhook:<ms>`,
 * `duplicate-webhook:<n>` (same message n times), `redeliver-webhook` (again under a new
 * `webhook-id`), `bad-signature`, `stale-webhook` (timestamp an hour old).
 */
export async function sendWebhook(
  target: { readonly url: string; readonly body: string; readonly directives: ReadonlyMap<string, string> },
  policy: WebhookPolicy,
  sent: SentWebhook[],
  signal: AbortSignal,
): Promise<void> {
  const { directives } = target;
  if (directives.has('lose-webhook')) return;
  try {
    const late = Number(directives.get('late-webhook'));
    if (late > 0) await wait(late, undefined, { signal });
    const message = signed(target.body, directives, policy);
    const copies = Math.max(1, Number(directives.get('duplicate-webhook')) || 1);
    for (let copy = 0; copy < copies; copy += 1) await post(target.url, message, policy, sent, signal);
    if (directives.has('redeliver-webhook')) await post(target.url, signed(target.body, directives, policy), policy, sent, signal);
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}

function signed(body: string, directives: ReadonlyMap<string, string>, policy: WebhookPolicy) {
  const id = `msg_${randomBytes(12).toString('base64url')}`;
  const timestamp = Math.floor(Date.now() / 1000) + policy.clockSkewSeconds - (directives.has('stale-webhook') ? 3600 : 0);
  const secret = directives.has('bad-signature') ? `whsec_${randomBytes(24).toString('base64')}` : policy.secret;
  const headers = {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': standardWebhookSignature(secret, id, timestamp, body),
  };
  return { headers, body };
}

async function post(
  url: string,
  message: { readonly headers: Record<string, string>; readonly body: string },
  policy: WebhookPolicy,
  sent: SentWebhook[],
  signal: AbortSignal,
): Promise<void> {
  for (let attempt = 1; attempt <= policy.attempts && !signal.aborted; attempt += 1) {
    try {
      // Replicate does not follow redirects: a 3xx is a failed delivery.
      const response = await fetch(url, {
        method: 'POST',
        headers: message.headers,
        body: message.body,
        redirect: 'manual',
        signal: AbortSignal.any([signal, AbortSignal.timeout(policy.timeoutMs)]),
      });
      await response.arrayBuffer();
      sent.push({ url, ...message, attempt, status: response.status });
      if (response.ok) return;
    } catch (error) {
      if (signal.aborted) return;
      sent.push({ url, ...message, attempt, error: (error as Error).message });
    }
    if (attempt < policy.attempts) await wait(policy.retryDelayMs, undefined, { signal });
  }
}
