import type { ConsumerSpec } from './message-bus';

export const DEFAULT_PREFETCH = 16;
export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [1_000, 5_000, 30_000];

/** A consumer spec with every default filled in and checked. */
export interface ResolvedConsumerSpec {
  readonly name: string;
  readonly bindings: readonly string[];
  readonly prefetch: number;
  readonly maxAttempts: number;
  readonly retryDelaysMs: readonly number[];
}

const CONSUMER_NAME = /^[a-z0-9][a-z0-9_-]*$/i;

export function resolveConsumerSpec(spec: ConsumerSpec): ResolvedConsumerSpec {
  const prefetch = spec.prefetch ?? DEFAULT_PREFETCH;
  const maxAttempts = spec.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const retryDelaysMs = spec.retryDelaysMs?.length ? spec.retryDelaysMs : DEFAULT_RETRY_DELAYS_MS;
  if (!CONSUMER_NAME.test(spec.name)) throw new Error(`Consumer name "${spec.name}" must match ${CONSUMER_NAME}`);
  if (spec.bindings.length === 0) throw new Error(`Consumer "${spec.name}" has no bindings`);
  if (!Number.isInteger(prefetch) || prefetch < 1) throw new Error(`Consumer "${spec.name}": prefetch must be >= 1`);
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new Error(`Consumer "${spec.name}": maxAttempts must be >= 1`);
  }
  if (retryDelaysMs.some((delay) => !Number.isFinite(delay) || delay < 0)) {
    throw new Error(`Consumer "${spec.name}": retry delays must be >= 0`);
  }
  return { name: spec.name, bindings: [...new Set(spec.bindings)], prefetch, maxAttempts, retryDelaysMs };
}

/** Delay before the retry that follows failed attempt `attempt` (1-based); the last delay repeats. */
export function retryDelayMs(delays: readonly number[], attempt: number): number {
  return delays[Math.min(Math.max(attempt, 1), delays.length) - 1] ?? 0;
}
