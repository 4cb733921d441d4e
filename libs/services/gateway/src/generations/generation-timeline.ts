import { Category, categoryOf, type RecordedEvent } from '@darkroom/contracts';
import { snakeCaseKeys } from '../http/snake-case';

/** One entry of `GET /v1/generations/{id}/events`. */
export interface TimelineEntry {
  readonly id: string;
  readonly type: string;
  readonly stream: string;
  readonly stream_version: number;
  /** Global log position, a decimal string (a bigint); the SSE ids of the task's status events are these. */
  readonly position: string;
  readonly recorded_at: string;
  /** The event's data as stored, in snake_case like the rest of the API (the caller's `metadata` as given), minus internal fields. */
  readonly data: unknown;
}

type Data = Record<string, unknown>;

const isObject = (value: unknown): value is Data => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A copy without `keys`; anything that is not a plain object is returned as it is. */
function omit(value: unknown, keys: readonly string[]): unknown {
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !keys.includes(key)));
}

const mapList = (value: unknown, each: (item: unknown) => unknown) => (Array.isArray(value) ? value.map(each) : value);

/** Upload refs carry the bucket key of the uploaded image: the upload id is what the caller knows. */
function withoutImageKeys(request: unknown): unknown {
  if (!isObject(request)) return request;
  const refs = (list: unknown) => mapList(list, (ref) => omit(ref, ['key']));
  return {
    ...request,
    ...('inputImages' in request ? { inputImages: refs(request['inputImages']) } : {}),
    ...('referenceImages' in request ? { referenceImages: refs(request['referenceImages']) } : {}),
  };
}

/**
 * The event's data with what is internal to darkroom removed: bucket keys (staging and
 * final; the caller fetches assets by id), provider job URLs (they can carry our provider
 * credentials' scope) and provider result URLs (short-lived, fetched by storage). Every
 * other field is the caller's own task as recorded.
 */
export function publicEventData(type: string, data: unknown): unknown {
  if (!isObject(data)) return data;
  switch (type) {
    case 'GenerationCreated':
    case 'GenerationQueued':
      return 'request' in data ? { ...data, request: withoutImageKeys(data['request']) } : data;
    case 'ProviderJobSubmitted':
      return omit(data, ['handle']);
    case 'ProviderJobSucceeded':
      return { ...data, outputs: mapList(data['outputs'], (output) => omit(output, ['stagingKey', 'url'])) };
    case 'AssetStored':
      return omit(data, ['key', 'stagingKey']);
    case 'AssetRejected':
      return omit(data, ['stagingKey']);
    default:
      return data;
  }
}

/**
 * Streams a task's timeline is drawn from; the ledger's only through the task's own reservation.
 * A circuit breaker's events show in the timeline of the task whose attempt caused them.
 */
const TASK_CATEGORIES: readonly Category[] = [Category.generation, Category.providerJob, Category.asset, Category.providerCircuit];

function belongsToTask(event: RecordedEvent, taskId: string, accountId: string): boolean {
  if (event.metadata.accountId !== undefined && event.metadata.accountId !== accountId) return false;
  let category: Category;
  try {
    category = categoryOf(event.streamId);
  } catch {
    return false;
  }
  if (category === Category.creditAccount) return isObject(event.data) && event.data['reservationId'] === taskId;
  return TASK_CATEGORIES.includes(category);
}

/**
 * The task's timeline: its correlated events (already in commit order) that are the
 * account's own and part of the task, as the API shows them.
 */
export function toTimeline(events: readonly RecordedEvent[], taskId: string, accountId: string): TimelineEntry[] {
  return events
    .filter((event) => belongsToTask(event, taskId, accountId))
    .map((event) => ({
      id: event.eventId,
      type: event.type,
      stream: event.streamId,
      stream_version: event.streamVersion,
      position: event.globalPosition,
      recorded_at: event.recordedAt,
      data: snakeCaseKeys(publicEventData(event.type, event.data), ['metadata']),
    }));
}
