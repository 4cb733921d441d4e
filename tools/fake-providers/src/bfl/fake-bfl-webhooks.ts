import { createHmac } from 'node:crypto';

/** One callback the fake sent, for assertions. */
export interface FakeBflWebhook {
  readonly taskId: string;
  readonly url: string;
  /** The raw JSON body, exactly as signed and sent. */
  readonly body: string;
  /** The `X-BFL-Signature` header, when the delivery was signed. */
  readonly signature?: string;
  /** The receiver's HTTP status; 0 when it could not be reached. */
  readonly status: number;
  readonly at: number;
}

/** How one task's callback should misbehave, from its prompt directives. */
export interface WebhookChaos {
  readonly lose: boolean;
  /** Deliveries in all (1 normally). */
  readonly copies: number;
  readonly delayMs: number;
  readonly badSignature: boolean;
  readonly unsigned: boolean;
}

export function webhookChaos(directives: ReadonlyMap<string, string>, defaultDelayMs: number): WebhookChaos {
  return {
    lose: directives.has('lose-webhook'),
    // `[fake:duplicate-webhook:<N>]` sends N copies in all; without a number, 2.
    copies: directives.has('duplicate-webhook') ? Math.max(1, Number(directives.get('duplicate-webhook')) || 2) : 1,
    delayMs: directives.has('late-webhook') ? Number(directives.get('late-webhook')) : defaultDelayMs,
    badSignature: directives.has('bad-signature'),
    unsigned: directives.has('unsigned-webhook'),
  };
}

/** `sha256=<hex HMAC-SHA256(secret, body)>`, the scheme BFL's skills repo describes. */
export function bflSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** POSTs one callback and reports what happened; never throws. */
export async function deliverWebhook(taskId: string, url: string, body: string, signature: string | undefined): Promise<FakeBflWebhook> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(signature ? { 'x-bfl-signature': signature } : {}) };
  let status = 0;
  try {
    const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(5000) });
    await response.arrayBuffer();
    status = response.status;
  } catch {
    status = 0;
  }
  return { taskId, url, body, ...(signature ? { signature } : {}), status, at: Date.now() };
}
