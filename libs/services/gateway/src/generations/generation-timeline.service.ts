import { Inject, Injectable } from '@nestjs/common';
import { generationStream, type StreamEvent } from '@darkroom/contracts';
import type { EventStore } from '@darkroom/event-store';
import { DomainError } from '@darkroom/kernel';
import { EVENT_STORE } from '@darkroom/runtime';
import { isUuid } from '../http/ids';
import { toTimeline, type TimelineEntry } from './generation-timeline';

const notFound = (id: string) => new DomainError('generation_not_found', 'not_found', `No generation ${id}.`);

/** A task's history from the event store: every event it caused, across its streams. */
@Injectable()
export class GenerationTimelineService {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /** The caller's task's timeline; another account's task is indistinguishable from a missing one. */
  async timeline(accountId: string, taskId: string): Promise<TimelineEntry[]> {
    const events = isUuid(taskId) ? await this.store.readCorrelated<StreamEvent>(taskId) : [];
    const created = events.find((event) => event.streamId === generationStream(taskId) && event.type === 'GenerationCreated');
    const owner = created?.type === 'GenerationCreated' ? created.data.request.accountId : undefined;
    if (owner === undefined || owner !== accountId) throw notFound(taskId);
    return toTimeline(events, taskId, accountId);
  }
}
