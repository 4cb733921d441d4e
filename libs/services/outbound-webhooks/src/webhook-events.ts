import type { WebhookEventType } from '@darkroom/contracts';

/** The webhook event type of a terminal generation event. */
export const webhookEventTypeOf = {
  GenerationCompleted: 'generation.completed',
  GenerationFailed: 'generation.failed',
  GenerationCanceled: 'generation.canceled',
} as const satisfies Record<string, WebhookEventType>;

/**
 * The Standard Webhooks message id of a terminal event: derived from the event id, so every
 * attempt and redelivery — and every endpoint of the account — carries the same `webhook-id`.
 */
export const messageIdOf = (eventId: string): string => `msg_${eventId.replace(/-/g, '')}`;
