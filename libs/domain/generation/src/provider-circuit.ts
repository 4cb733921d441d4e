import type { ProviderCircuitEvent } from '@darkroom/contracts';
import { assertNever, type Decider } from '@darkroom/kernel';

/**
 * The circuit breaker of one (provider, model) (decision 0025). Closed, it counts retryable
 * failures; `threshold` of them within `windowSeconds`, with no accepted attempt between,
 * open it for `cooldownSeconds`. While open, the generation decider sends attempts to the
 * model's fallback (or makes them wait). Once the cool-down is over the circuit is half-open:
 * attempts go through as probes; an accepted one closes it, a failed one opens it again.
 */
export type CircuitState =
  | { readonly status: 'closed'; readonly failures: readonly string[] }
  | { readonly status: 'open'; readonly openUntil: string };

/** The breaker's settings, from the generation service's configuration. */
export interface CircuitPolicy {
  readonly threshold: number;
  readonly windowSeconds: number;
  readonly cooldownSeconds: number;
}

interface Attempt {
  readonly provider: string;
  readonly model: string;
  readonly taskId: string;
  readonly attempt: number;
  readonly now: string;
}

export type CircuitCommand =
  | (Attempt & { readonly type: 'RecordCircuitFailure'; readonly policy: CircuitPolicy })
  | (Attempt & { readonly type: 'RecordCircuitSuccess' });

/** Failures kept in the state: more than any sensible threshold. */
const KEPT_FAILURES = 100;

export const initialCircuitState = (): CircuitState => ({ status: 'closed', failures: [] });

export function evolveCircuit(state: CircuitState, event: ProviderCircuitEvent): CircuitState {
  switch (event.type) {
    case 'ProviderCircuitFailureCounted':
      return {
        status: 'closed',
        failures: [...(state.status === 'closed' ? state.failures : []), event.data.failedAt].slice(-KEPT_FAILURES),
      };
    case 'ProviderCircuitOpened':
      return { status: 'open', openUntil: event.data.openUntil };
    case 'ProviderCircuitClosed':
      return initialCircuitState();
    default:
      return assertNever(event);
  }
}

const plusSeconds = (iso: string, seconds: number) => new Date(Date.parse(iso) + seconds * 1000).toISOString();

export function decideCircuit(command: CircuitCommand, state: CircuitState): readonly ProviderCircuitEvent[] {
  const { provider, model, taskId, attempt, now } = command;
  switch (command.type) {
    case 'RecordCircuitFailure': {
      const { threshold, windowSeconds, cooldownSeconds } = command.policy;
      const opened = (failures: number): ProviderCircuitEvent => ({
        type: 'ProviderCircuitOpened',
        data: { provider, model, taskId, attempt, failures, openUntil: plusSeconds(now, cooldownSeconds), openedAt: now },
      });
      if (state.status === 'open') return now >= state.openUntil ? [opened(1)] : []; // a failed probe opens it again
      const since = plusSeconds(now, -windowSeconds);
      const failures = state.failures.filter((at) => at > since).length + 1;
      if (failures >= threshold) return [opened(failures)];
      return [{ type: 'ProviderCircuitFailureCounted', data: { provider, model, taskId, attempt, failedAt: now } }];
    }
    case 'RecordCircuitSuccess':
      return state.status === 'closed' && state.failures.length === 0
        ? []
        : [{ type: 'ProviderCircuitClosed', data: { provider, model, taskId, attempt, closedAt: now } }];
    default:
      return assertNever(command);
  }
}

/** Whether the circuit sends attempts elsewhere at `now` (open, cool-down not over). */
export const isCircuitOpen = (state: CircuitState, now: string): boolean =>
  state.status === 'open' && now < state.openUntil;

/** The breaker of one (provider, model), stream `provider-circuit-{provider}~{model}`. */
export const providerCircuitDecider: Decider<CircuitCommand, ProviderCircuitEvent, CircuitState> = {
  initialState: initialCircuitState,
  evolve: evolveCircuit,
  decide: decideCircuit,
};
