import type { RecordedEvent } from '@darkroom/contracts';

let position = 0;

/** A recorded event for projection specs: positions increase with each call; the rest is filler. */
export function recordedEvent(type: string, data: unknown, overrides: Partial<RecordedEvent> = {}): RecordedEvent {
  position++;
  return {
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
}
