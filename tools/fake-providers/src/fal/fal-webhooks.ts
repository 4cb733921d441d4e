import { setTimeout as wait } from 'node:timers/promises';
import type { FalSigningKeys } from './fal-signing-keys';

/** One POST the fake made to a webhook URL, for assertions. */
export interface SentFalWebhook {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** 1 for the first try; each retry is signed again with a fresh timestamp. */
  readonly attempt: number;
  /** The receiver's HTTP status, absent when the POST failed outright (then `error`). */
  readonly status?: number;
  readonly error?: string;
}

export interface FalWebhookPolicy {
  readonly keys: FalSigningKeys;
  readonly userId: string;
  readonly attempts: number;
  readonly retryDelayMs: number;
  readonly timeoutMs: number;
  readonly clockSkewSeconds: number;
}

interface Target {
  readonly url: string;
  readonly requestId: string;
  readonly body: string;
  readonly directives: ReadonlyMap<string, string>;
}

/**
 * Sends the completion webhook the way the prompt's directives ask: `lose-webhook`,
 * `late-webhook:<ms>`, `duplicate-webhook:<n>` (byte-identical copies), `redeliver-webhook`
 * (once more, signed a second later), `bad-signature` (a key not in the JWKS),
 * `stale-webhook` (timestamp an hour old).
 */
export async function sendFalWebhook(target: Target, policy: FalWebhookPolicy, sent: SentFalWebhook[], signal: AbortSignal): Promise<void> {
  const { directives } = target;
  if (directives.has('lose-webhook')) return;
  try {
    const late = Number(directives.get('late-webhook'));
    if (late > 0) await wait(late, undefined, { signal });
    const copies = Math.max(1, Number(directives.get('duplicate-webhook')) || 1);
    const first = signed(target, policy, 0);
    for (let copy = 0; copy < copies; copy += 1) await post(target, policy, sent, signal, first);
    if (directives.has('redeliver-webhook')) await post(target, policy, sent, signal, signed(target, policy, 1));
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}

function signed(target: Target, policy: FalWebhookPolicy, laterBySeconds: number): Record<string, string> {
  const stale = target.directives.has('stale-webhook') ? 3600 : 0;
  const timestamp = Math.floor(Date.now() / 1000) + policy.clockSkewSeconds + laterBySeconds - stale;
  const fields = { requestId: target.requestId, userId: policy.userId, timestamp, body: target.body };
  return {
    'content-type': 'application/json',
    'x-fal-webhook-request-id': target.requestId,
    'x-fal-webhook-user-id': policy.userId,
    'x-fal-webhook-timestamp': String(timestamp),
    'x-fal-webhook-signature': policy.keys.signature(fields, target.directives.has('bad-signature')),
  };
}

async function post(target: Target, policy: FalWebhookPolicy, sent: SentFalWebhook[], signal: AbortSignal, headers: Record<string, string>): Promise<void> {
  for (let attempt = 1; attempt <= policy.attempts && !signal.aborted; attempt += 1) {
    const attemptHeaders = attempt === 1 ? headers : signed(target, policy, 0);
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: attemptHeaders,
        body: target.body,
        redirect: 'manual',
        signal: AbortSignal.any([signal, AbortSignal.timeout(policy.timeoutMs)]),
      });
      await response.arrayBuffer();
      sent.push({ url: target.url, headers: attemptHeaders, body: target.body, attempt, status: response.status });
      if (response.ok) return;
    } catch (error) {
      if (signal.aborted) return;
      sent.push({ url: target.url, headers: attemptHeaders, body: target.body, attempt, error: (error as Error).message });
    }
    if (attempt < policy.attempts) await wait(policy.retryDelayMs, undefined, { signal });
  }
}
