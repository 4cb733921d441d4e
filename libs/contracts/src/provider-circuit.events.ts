import type { DomainEvent } from './envelope';

/**
 * The circuit breaker of one (provider, model), stream `provider-circuit-{provider}~{model}`
 * (decision 0025). Each event is correlated with the task whose attempt caused it, so it shows
 * in that task's timeline.
 */
interface CircuitData {
  readonly provider: string;
  readonly model: string;
}

/** A retryable failure while the circuit is closed, counted towards opening it. */
export type ProviderCircuitFailureCounted = DomainEvent<
  'ProviderCircuitFailureCounted',
  CircuitData & { readonly taskId: string; readonly attempt: number; readonly failedAt: string }
>;

/** Enough consecutive failures in the window (or a failed probe): attempts go to the fallback until `openUntil`. */
export type ProviderCircuitOpened = DomainEvent<
  'ProviderCircuitOpened',
  CircuitData & {
    readonly taskId: string;
    readonly attempt: number;
    readonly failures: number;
    /** After this, the next attempt is a probe (half-open). */
    readonly openUntil: string;
    readonly openedAt: string;
  }
>;

/** The provider accepted an attempt: the failure count starts again (and an open circuit closes). */
export type ProviderCircuitClosed = DomainEvent<
  'ProviderCircuitClosed',
  CircuitData & { readonly taskId: string; readonly attempt: number; readonly closedAt: string }
>;

export type ProviderCircuitEvent = ProviderCircuitFailureCounted | ProviderCircuitOpened | ProviderCircuitClosed;
