import { randomUUID } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';

const DARKROOM_NAMESPACE = '6f1c4b1e-5a43-4f7e-9f0e-2b8a3d9c7e10';

export function newId(): string {
  return randomUUID();
}

/**
 * A stable id from its parts: the same inputs always give the same id, so an effect
 * computed twice (a redelivered message, a retried handler) appends the same event ids
 * and the event store's idempotent append drops the copy.
 */
export function deriveId(...parts: readonly (string | number)[]): string {
  return uuidv5(parts.join('\u001f'), DARKROOM_NAMESPACE);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids that reach us from outside (paths, callback URLs) are UUIDs; anything else is simply not found. */
export const isUuid = (value: string): boolean => UUID.test(value);
