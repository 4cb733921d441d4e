import type { EventMessage } from '@darkroom/messaging';
import type { HandleOptions } from '@darkroom/event-store';
import { deriveId } from '@darkroom/kernel';

/**
 * Options for `store.handle` inside a consumer: metadata chains the cause, and event ids
 * are derived from (consumer, cause, stream, type, index) so a re-run appends nothing new.
 */
export function causedBy(consumer: string, message: EventMessage, streamId: string): HandleOptions {
  return {
    metadata: {
      correlationId: message.metadata.correlationId,
      causationId: message.eventId,
      ...(message.metadata.accountId ? { accountId: message.metadata.accountId } : {}),
      ...(message.metadata.requestId ? { requestId: message.metadata.requestId } : {}),
      schemaVersion: 1,
    },
    eventId: (index, type) => deriveId(consumer, message.eventId, streamId, type, index),
  };
}

/** An event message whose data has the shape of event `E`. */
export type MessageOf<E extends { readonly data: unknown }> = EventMessage & { readonly data: E['data'] };
