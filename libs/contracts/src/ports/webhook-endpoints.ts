/** Event types an endpoint can subscribe to: one per terminal state of a task, and a batch's end. */
/** What one task's terminal states send: all a per-request webhook can ask for. */
export const TASK_WEBHOOK_EVENT_TYPES = ['generation.completed', 'generation.failed', 'generation.canceled'] as const;
export const WEBHOOK_EVENT_TYPES = [...TASK_WEBHOOK_EVENT_TYPES, 'batch.ended'] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
export type TaskWebhookEventType = (typeof TASK_WEBHOOK_EVENT_TYPES)[number];

/** What an account asks for when it registers an endpoint (validated at the edge). */
export interface NewWebhookEndpoint {
  readonly url: string;
  /** Default: every type. */
  readonly events?: readonly WebhookEventType[];
  readonly description?: string;
}

/** An endpoint as the API returns it. */
export interface WebhookEndpointResource {
  readonly id: string;
  readonly object: 'webhook_endpoint';
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly description: string | null;
  readonly enabled: boolean;
  readonly disabled_reason: string | null;
  readonly disabled_at: string | null;
  /** Start of the current run of failed deliveries; null while deliveries succeed. */
  readonly failing_since: string | null;
  readonly created_at: string;
}

/** One attempt of a delivery, as the API returns it. */
export interface WebhookDeliveryAttemptResource {
  readonly attempted_at: string;
  readonly status_code: number | null;
  readonly error: string | null;
  readonly duration_ms: number;
  /** `scheduled` (first send and retries) or `redeliver` (asked for with the API). */
  readonly trigger: 'scheduled' | 'redeliver';
}

/** A delivery and its attempts, as the API returns it. */
export interface WebhookDeliveryResource {
  readonly id: string;
  readonly object: 'webhook_delivery';
  /** Null for a per-request webhook (`webhook` on `POST /v1/generations`). */
  readonly endpoint_id: string | null;
  /** A per-request webhook's URL (absent on an endpoint's delivery). */
  readonly url?: string;
  /** The `webhook-id` header: the same on every attempt and redelivery. */
  readonly message_id: string;
  readonly event_type: string;
  readonly task_id: string;
  /** `pending` (sending or waiting to retry), `succeeded`, or `failed` (retries used up; redeliver to try again). */
  readonly status: 'pending' | 'succeeded' | 'failed';
  readonly attempt_count: number;
  readonly next_attempt_at: string | null;
  readonly last_status_code: number | null;
  readonly last_error: string | null;
  readonly created_at: string;
  readonly updated_at: string;
  readonly attempts: readonly WebhookDeliveryAttemptResource[];
}

/**
 * An account's outbound webhook endpoints and their delivery log (decision 0011), as the
 * HTTP edge sees them; the outbound-webhooks service implements it. Another account's ids
 * are not found (`webhook_endpoint_not_found`, `webhook_delivery_not_found`).
 */
export abstract class WebhookEndpoints {
  /** The new endpoint with its signing secret; refuses URLs that do not name a public host. */
  abstract create(accountId: string, endpoint: NewWebhookEndpoint): Promise<WebhookEndpointResource & { readonly secret: string }>;
  abstract list(accountId: string): Promise<WebhookEndpointResource[]>;
  abstract get(accountId: string, id: string): Promise<WebhookEndpointResource>;
  /** The signing secret, for the owner to configure its verifier again. */
  abstract secret(accountId: string, id: string): Promise<string>;
  /** The endpoint's deliveries and their log go with it. */
  abstract delete(accountId: string, id: string): Promise<void>;
  /** Enables a disabled endpoint; its pending deliveries resume. */
  abstract enable(accountId: string, id: string): Promise<WebhookEndpointResource>;
  /** Newest first; `startingAfter` is the id of the last delivery of the previous page. */
  abstract deliveriesOf(accountId: string, id: string, limit: number, startingAfter?: string): Promise<{ data: WebhookDeliveryResource[]; has_more: boolean }>;
  /** Sends the delivery again (same `webhook-id` and body); a disabled endpoint must be enabled first. */
  abstract redeliver(accountId: string, id: string, deliveryId: string): Promise<WebhookDeliveryResource>;
  /**
   * Refuses a URL an endpoint could not have (`invalid_request` / `webhook_url_not_allowed`
   * naming `field`): the check a per-request webhook's URL gets before its task is created.
   */
  abstract checkUrl(url: string, field: string): Promise<void>;
  /** The account's default secret: what per-request webhooks are signed with (made on first use). */
  abstract defaultSecret(accountId: string): Promise<string>;
  /** The account's per-request deliveries, newest first. */
  abstract requestDeliveries(accountId: string, limit: number, startingAfter?: string): Promise<{ data: WebhookDeliveryResource[]; has_more: boolean }>;
}
