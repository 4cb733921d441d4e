import type { DomainEvent, Recorded, RecordedEvent } from '@darkroom/contracts';

let position = 0;

/**
 * A recorded event for projection specs: positions increase with each call; the rest is filler.
 * Typed as an event of the union `E` the projection reads, though `data` may hold only the
 * fields a spec cares about.
 */
export function recordedEvent<E extends DomainEvent = DomainEvent>(
  type: E['type'],
  data: unknown,
  overrides: Partial<RecordedEvent> = {},
): Recorded<E> {
  position++;
  const event: RecordedEvent = {
    type,
    data,
    eventId: `event-${position}`,
    metadata: { correlationId: 'correlation', schemaVersion: 1 },
    streamId: 'stream-1',
    streamVersion: position,
    globalPosition: String(position),
    transactionId: String(position),
    recordedAt: new Date(Date.UTC(2026, 0, 1) + position * 1000).toISOString(),
    ...overrides,
  };
  return event as Recorded<E>;
}
