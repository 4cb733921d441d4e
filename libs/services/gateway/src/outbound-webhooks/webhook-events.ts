/** Event types an endpoint can subscribe to: one per terminal state of a task. */
export const WEBHOOK_EVENT_TYPES = ['generation.completed', 'generation.failed', 'generation.canceled'] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

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
