import { createHash } from 'node:crypto';
import type { WebhookHeaders } from '../image-provider';
import { header } from '../http/provider-http';

/** The four signed header values of a fal webhook. */
export interface FalSignedHeaders {
  readonly requestId: string;
  readonly userId: string;
  /** Unix seconds, as sent. */
  readonly timestamp: string;
  /** 64 bytes, sent as hex. */
  readonly signature: Buffer;
}

/** Undefined when a header is missing or malformed. */
export function falSignedHeaders(headers: WebhookHeaders): FalSignedHeaders | undefined {
  const requestId = header(headers, 'x-fal-webhook-request-id');
  const userId = header(headers, 'x-fal-webhook-user-id');
  const timestamp = header(headers, 'x-fal-webhook-timestamp');
  const signature = header(headers, 'x-fal-webhook-signature');
  if (!requestId || !userId || !timestamp || !/^\d{1,12}$/.test(timestamp)) return undefined;
  if (!signature || !/^[0-9a-f]{128}$/i.test(signature)) return undefined;
  return { requestId, userId, timestamp, signature: Buffer.from(signature, 'hex') };
}

/** What fal signs with Ed25519: `request_id \n user_id \n timestamp \n hex(sha256(raw body))`. */
export function falSignedMessage(signed: FalSignedHeaders, rawBody: Buffer): Buffer {
  const bodyHash = createHash('sha256').update(rawBody).digest('hex');
  return Buffer.from(`${signed.requestId}\n${signed.userId}\n${signed.timestamp}\n${bodyHash}`, 'utf8');
}

/**
 * fal sends no delivery id; a replay of one delivery repeats the request id, timestamp and
 * signature exactly, so their hash serves as one.
 */
export function falDeliveryId(signed: FalSignedHeaders): string {
  return createHash('sha256').update(`${signed.requestId}\n${signed.timestamp}\n${signed.signature.toString('hex')}`).digest('hex');
}
