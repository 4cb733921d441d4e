import type { AssetEvent } from './asset.events';
import type { CreditAccountEvent } from './credit-account.events';
import type { GenerationEvent } from './generation.events';
import type { ProviderCircuitEvent } from './provider-circuit.events';
import type { ProviderJobEvent } from './provider-job.events';

/**
 * An event of any stream: every stream is of one category (`Category`), and each category's
 * owner appends only its own union. What a task's correlated history holds.
 */
export type StreamEvent = GenerationEvent | CreditAccountEvent | ProviderJobEvent | AssetEvent | ProviderCircuitEvent;
