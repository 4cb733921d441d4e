import type { GenerationEvent } from '@darkroom/contracts';
import type { Decider } from '@darkroom/kernel';
import type { GenerationCommand } from './generation.commands';
import { decideGeneration } from './generation.decide';
import { evolveGeneration, initialGenerationState, type GenerationState } from './generation.state';

/** The task lifecycle, stream `generation-{taskId}` (DESIGN.md §4). */
export const generationDecider: Decider<GenerationCommand, GenerationEvent, GenerationState> = {
  initialState: initialGenerationState,
  evolve: evolveGeneration,
  decide: decideGeneration,
};
