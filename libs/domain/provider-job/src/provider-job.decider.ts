import type { ProviderJobEvent } from '@darkroom/contracts';
import type { Decider } from '@darkroom/kernel';
import type { ProviderJobCommand } from './provider-job.commands';
import { decideProviderJob } from './provider-job.decide';
import { evolveProviderJob, initialProviderJobState, type ProviderJobState } from './provider-job.state';

/** One attempt of a task at a provider, stream `provider-job-{taskId}-{attempt}` (DESIGN.md §4). */
export const providerJobDecider: Decider<ProviderJobCommand, ProviderJobEvent, ProviderJobState> = {
  initialState: initialProviderJobState,
  evolve: evolveProviderJob,
  decide: decideProviderJob,
};
