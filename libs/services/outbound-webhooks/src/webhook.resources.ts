import type { WebhookDeliveryResource, WebhookEndpointResource } from '@darkroom/contracts';
import type { DeliveryAttempt, DeliveryRow } from './webhook-deliveries.repository';
import type { WebhookEndpointRow } from './webhook-endpoints.repository';

/** An endpoint as the API returns it (never its secret). */
export function toEndpointResource(row: WebhookEndpointRow): WebhookEndpointResource {
  return {
    id: row.id,
    object: 'webhook_endpoint',
    url: row.url,
    events: row.events,
    description: row.description,
    enabled: row.enabled,
    disabled_reason: row.disabledReason,
    disabled_at: row.disabledAt,
    failing_since: row.failingSince,
    created_at: row.createdAt,
  };
}

export function toDeliveryResource(row: DeliveryRow, attempts: readonly DeliveryAttempt[]): WebhookDeliveryResource {
  return {
    id: row.id,
    object: 'webhook_delivery',
    endpoint_id: row.endpointId,
    ...(row.url === null ? {} : { url: row.url }),
    message_id: row.messageId,
    event_type: row.eventType,
    task_id: row.taskId,
    status: row.status,
    attempt_count: row.attemptCount,
    next_attempt_at: row.nextAttemptAt,
    last_status_code: row.lastStatusCode,
    last_error: row.lastError,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    attempts: attempts.map((attempt) => ({
      attempted_at: attempt.attemptedAt,
      status_code: attempt.statusCode,
      error: attempt.error,
      duration_ms: attempt.durationMs,
      trigger: attempt.trigger,
    })),
  };
}
