import { randomUUID } from 'node:crypto';
import { routingKey } from '@darkroom/contracts';
import type { EventMessage } from './message-bus';

/** An event message as the relay would publish it; only what a test cares about varies. */
export function eventMessage(overrides: Partial<EventMessage> = {}): EventMessage {
  const streamId = overrides.streamId ?? `generation-${randomUUID()}`;
  const type = overrides.type ?? 'GenerationQueued';
  return {
    eventId: randomUUID(),
    streamId,
    streamVersion: 1,
    type,
    data: { n: 1 },
    metadata: { correlationId: streamId.replace(/^generation-/, ''), schemaVersion: 1 },
    globalPosition: '1',
    transactionId: '1',
    recordedAt: new Date().toISOString(),
    routingKey: routingKey(streamId, type),
    ...overrides,
  };
}

/** Polls `probe` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<Exclude<T, undefined | false>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as Exclude<T, undefined | false>;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
