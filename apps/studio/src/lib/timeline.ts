import type { TimelineEntry } from '../api/types';
import { failureReason } from './failure-reason';

type Data = Readonly<Record<string, unknown>>;

const text = (value: unknown): string | undefined => (typeof value === 'string' || typeof value === 'number' ? String(value) : undefined);
const credits = (value: unknown) => `${text(value) ?? '?'} credit${value === 1 ? '' : 's'}`;
const attempt = (data: Data) => (data['attempt'] !== undefined ? ` (attempt ${text(data['attempt'])})` : '');

/** What one event of a task's timeline means, in a short title and a line of detail. */
export function describeEvent(entry: Pick<TimelineEntry, 'type' | 'data'>): { title: string; detail: string } {
  const data: Data = typeof entry.data === 'object' && entry.data !== null ? (entry.data as Data) : {};
  const describe = DESCRIPTIONS[entry.type];
  return describe ? describe(data) : { title: entry.type, detail: '' };
}

const DESCRIPTIONS: Readonly<Record<string, (data: Data) => { title: string; detail: string }>> = {
  GenerationCreated: (data) => {
    const request = (data['request'] ?? {}) as Data;
    return { title: 'Task created', detail: `${text(request['model']) ?? ''} · ${text(request['width'])}×${text(request['height'])} · n=${text(request['n'])}` };
  },
  CreditsReserved: (data) => ({ title: 'Credits reserved', detail: credits(data['amount']) }),
  CreditsReservationRejected: (data) => ({ title: 'Credits refused', detail: text(data['reason']) ?? 'not enough credits' }),
  GenerationQueued: (data) => {
    const route = data['route'] as Data | undefined;
    return route
      ? { title: 'Queued on a fallback', detail: `${text(route['model']) ?? ''} on ${text(route['provider']) ?? ''}: the model's circuit breaker is open` }
      : { title: 'Queued', detail: 'waiting for a provider slot' };
  },
  ProviderJobSubmitted: (data) => ({
    title: `Submitted to ${text(data['provider']) ?? 'the provider'}${attempt(data)}`,
    detail: `job ${text(data['provider_job_id']) ?? ''}`,
  }),
  GenerationProcessing: () => ({ title: 'Processing', detail: 'the provider is rendering' }),
  ProviderJobObserved: (data) => ({
    title: `${data['source'] === 'webhook' ? 'Webhook' : 'Poll'}: ${text(data['provider_status']) ?? 'status'}${attempt(data)}`,
    detail: data['queue_position'] !== undefined ? `queue position ${text(data['queue_position'])}` : '',
  }),
  ProviderJobSucceeded: (data) => ({
    title: `Provider finished${attempt(data)}`,
    detail: `${Array.isArray(data['outputs']) ? data['outputs'].length : 0} image(s) ready to copy`,
  }),
  ProviderJobFailed: (data) => ({
    title: `Provider failed${attempt(data)}`,
    detail: `${text(data['code']) ?? ''}${data['retryable'] ? ' · will retry' : ''}`,
  }),
  GenerationRetryScheduled: (data) => ({
    title: `Retry scheduled${attempt(data)}`,
    detail: `${text(data['model']) ?? ''} on ${text(data['provider']) ?? ''}${data['circuitOpen'] ? ' · circuit breaker open' : ''}`,
  }),
  ProviderCircuitFailureCounted: (data) => ({ title: 'Failure counted by the circuit breaker', detail: `${text(data['model']) ?? ''} on ${text(data['provider']) ?? ''}` }),
  ProviderCircuitOpened: (data) => ({
    title: 'Circuit breaker opened',
    detail: `${text(data['model']) ?? ''} on ${text(data['provider']) ?? ''} · ${text(data['failures']) ?? ''} failures · until ${text(data['openUntil']) ?? ''}`,
  }),
  ProviderCircuitClosed: (data) => ({ title: 'Circuit breaker closed', detail: `${text(data['model']) ?? ''} on ${text(data['provider']) ?? ''}` }),
  ProviderJobCanceled: (data) => ({ title: `Provider job canceled${attempt(data)}`, detail: '' }),
  ProviderJobAbandoned: (data) => ({ title: `Provider job abandoned${attempt(data)}`, detail: text(data['reason']) ?? '' }),
  ProviderJobLateResult: (data) => ({ title: 'Late result ignored', detail: text(data['outcome']) ?? '' }),
  AssetStored: (data) => ({
    title: 'Image stored',
    detail: `${text(data['width'])}×${text(data['height'])} · ${text(data['bytes'])} bytes · sha256 ${String(text(data['sha256']) ?? '').slice(0, 12)}…`,
  }),
  AssetRejected: (data) => ({ title: 'Image rejected', detail: text(data['reason']) ?? text(data['code']) ?? '' }),
  AssetDeleted: () => ({ title: 'Image deleted by retention', detail: '' }),
  GenerationOutputStored: (data) => ({ title: 'Output recorded', detail: `image ${text(data['index']) ?? ''}` }),
  GenerationCompleted: () => ({ title: 'Completed', detail: '' }),
  GenerationFailed: (data) => {
    const code = text(data['code']) ?? '';
    return { title: 'Failed', detail: failureReason({ status: 'failed', error: { code, message: '' } })?.summary ?? code };
  },
  GenerationCanceled: () => ({ title: 'Canceled', detail: '' }),
  CreditsCaptured: (data) => ({ title: 'Credits charged', detail: credits(data['amount']) }),
  CreditsReleased: (data) => ({ title: 'Credits returned', detail: credits(data['amount']) }),
  CreditsSettlementDeferred: (data) => ({
    title: 'Credits settled early',
    detail: `the task ended before its credits were reserved; they will be ${data['settlement'] === 'capture' ? 'charged' : 'returned'} as they are reserved`,
  }),
};
