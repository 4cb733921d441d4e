import type { DeliveryAttempt, DeliveryRow } from './webhook-deliveries.repository';
import type { WebhookEndpointRow } from './webhook-endpoints.repository';

/** An endpoint as the API returns it; the secret only where `withSecret` says so. */
export function toEndpointResource(row: WebhookEndpointRow, withSecret = false) {
  return {
    id: row.id,
    object: 'webhook_endpoint',
    url: row.url,
    events: row.events,
    description: row.description,
    enabled: row.enabled,
    disabled_reason: row.disabledReason,
    disabled_at: row.disabledAt,
    /** Start of the current run of failed deliveries; null while deliveries succeed. */
    failing_since: row.failingSince,
    created_at: row.createdAt,
    ...(withSecret ? { secret: row.secret } : {}),
  };
}

export function toDeliveryResource(row: DeliveryRow, attempts: readonly DeliveryAttempt[]) {
  return {
    id: row.id,
    object: 'webhook_delivery',
    endpoint_id: row.endpointId,
    /** The `webhook-id` header: the same on every attempt and redelivery. */
    message_id: row.messageId,
    event_type: row.eventType,
    task_id: row.taskId,
    /** `pending` (sending or waiting to retry), `succeeded`, or `failed` (retries used up; redeliver to try again). */
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
