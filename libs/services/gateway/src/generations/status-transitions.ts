import { generationStream, terminalStatuses, type RecordedEvent } from '@darkroom/contracts';
import { evolveGenerationRow, isGenerationRowEvent, type GenerationRow } from '@darkroom/read-model-generations';

/** One status the task went through, as the status stream sends it. */
export interface StatusTransition {
  /**
   * Global position of the generation-stream event that set the status. One writer appends
   * to a stream at a time, so these only grow along the task's life: the SSE event id.
   */
  readonly id: bigint;
  /** The task while in that status, with every later fact folded in up to the next status. */
  readonly row: GenerationRow;
}

/** The task's status changes, oldest first, folded from its correlated events in commit order. */
export function statusTransitions(events: readonly Pick<RecordedEvent, 'type' | 'data' | 'streamId' | 'globalPosition' | 'recordedAt'>[]): StatusTransition[] {
  const transitions: StatusTransition[] = [];
  let row: GenerationRow | undefined;
  for (const event of events) {
    if (!isGenerationRowEvent(event)) continue;
    const before = row?.status;
    row = evolveGenerationRow(row, event);
    if (!row) continue;
    if (row.status !== before && event.streamId === generationStream(row.id)) {
      transitions.push({ id: BigInt(event.globalPosition), row });
    } else if (transitions.length > 0) {
      transitions[transitions.length - 1] = { ...transitions[transitions.length - 1], row };
    }
  }
  return transitions;
}

export const isTerminal = (row: GenerationRow): boolean => terminalStatuses.includes(row.status);

/**
 * What a client that last saw `lastEventId` is sent now: every later status, or, on a first
 * connect, the current one.
 */
export function transitionsToSend(transitions: readonly StatusTransition[], lastEventId: bigint | undefined): StatusTransition[] {
  if (lastEventId === undefined) return transitions.slice(-1);
  return transitions.filter((transition) => transition.id > lastEventId);
}
