import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ProviderPayloadError, type WebhookDelivery } from '../image-provider';
import { parseJson } from '../http/provider-http';
import { bflObservation, isBflResultBody } from './bfl-status';

/**
 * `X-BFL-Signature: sha256=<hex HMAC-SHA256(webhook_secret, raw body)>`, as BFL's own skills
 * repo describes it (not in the API reference, and with no timestamp to bound replays).
 */
export function verifyBflSignature(secret: string | undefined, signature: string | undefined, rawBody: Buffer): boolean {
  if (!secret || !signature) return false;
  const match = /^sha256=([0-9a-f]{64})$/i.exec(signature.trim());
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(Buffer.from(match[1], 'hex'), expected);
}

/**
 * A verified callback. The scheme is unconfirmed and unreplayable-by-timestamp, so it is only
 * a hint: `confirmByPoll` makes the caller ask `get_result` for the truth. BFL sends no delivery
 * id; the same signature over the same body is the same delivery.
 */
export function parseBflWebhook(signature: string | undefined, rawBody: Buffer): WebhookDelivery {
  const body = parseJson(rawBody.toString('utf8'));
  if (!isBflResultBody(body) || typeof body.id !== 'string' || body.id === '') {
    throw new ProviderPayloadError('A BFL webhook needs a JSON body with string "id" and "status"');
  }
  const deliveryId = createHash('sha256')
    .update(signature ?? '')
    .update(rawBody)
    .digest('hex');
  return { providerJobId: body.id, deliveryId, observation: bflObservation(body), confirmByPoll: true };
}
