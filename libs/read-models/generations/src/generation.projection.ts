import type { AssetEvent, DomainEvent, GenerationEvent } from '@darkroom/contracts';
import { readsEvent, type RowProjection } from '@darkroom/projections';
import type { GenerationRow } from './generation-row';
import { evolveGenerationRow, type GenerationRowEvent, type TaskCredits } from './generation-row.evolve';
import { loadGeneration, saveGeneration, saveGenerations } from './generation-row.repository';

const generationTypes: readonly GenerationEvent['type'][] = [
  'GenerationCreated',
  'GenerationQueued',
  'GenerationProcessing',
  'GenerationRetryScheduled',
  'GenerationOutputStored',
  'GenerationCompleted',
  'GenerationFailed',
  'GenerationCanceled',
];
const creditTypes: readonly TaskCredits['type'][] = [
  'CreditsReserved',
  'CreditsReservationRejected',
  'CreditsCaptured',
  'CreditsReleased',
];
const assetTypes: readonly AssetEvent['type'][] = ['AssetStored', 'AssetDeleted'];

export const generationProjection: RowProjection<GenerationRow, GenerationRowEvent> = {
  name: 'generations',
  eventTypes: [...generationTypes, ...creditTypes, ...assetTypes],
  // A credit event names the task as its reservation.
  keyOf: (event) => ('taskId' in event.data ? event.data.taskId : event.data.reservationId),
  evolve: evolveGenerationRow,
  load: loadGeneration,
  save: saveGeneration,
  saveMany: saveGenerations,
};

/** Whether the `generations` read model reads this event (one of a task's correlated history, say). */
export const isGenerationRowEvent = <T extends DomainEvent>(event: T): event is T & GenerationRowEvent => readsEvent(generationProjection, event);
