import { Inject, Injectable } from '@nestjs/common';
import {
  GenerationCommands,
  generationStream,
  type AlongsideCreation,
  type GenerationCancel,
  type GenerationCreated,
  type GenerationEvent,
  type NewGeneration,
} from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import { generationDecider, type CreateGeneration } from '@darkroom/domain-generation';
import { PgEventStore, type EventStore, type HandleOptions } from '@darkroom/event-store';
import { newId, type Clock } from '@darkroom/kernel';
import { CLOCK, EVENT_STORE, SQL } from '@darkroom/runtime';

/** Creates and cancels tasks through the generation decider, for the edge that asks. */
@Injectable()
export class GenerationCommandsService extends GenerationCommands<Sql> {
  constructor(
    @Inject(SQL) private readonly sql: Sql,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    super();
  }

  async create(generation: NewGeneration, alongside?: AlongsideCreation<Sql>): Promise<GenerationCreated> {
    const taskId = generation.taskId ?? newId();
    const now = this.clock.now();
    const command: CreateGeneration = {
      type: 'CreateGeneration',
      taskId,
      request: generation.request,
      price: generation.price,
      deadline: new Date(now.getTime() + generation.deadlineSeconds * 1000).toISOString(),
      metadata: generation.metadata,
      ...(generation.webhook === undefined ? {} : { webhook: generation.webhook }),
      ...(generation.scopedToken === undefined ? {} : { scopedToken: generation.scopedToken }),
      ...(generation.idempotencyKey === undefined ? {} : { idempotencyKey: generation.idempotencyKey }),
      now: now.toISOString(),
    };
    const options = this.options(taskId, generation.request.accountId, generation.requestId);
    if (!alongside) return createdOf(taskId, (await this.store.handle(generationStream(taskId), generationDecider, command, options)).events);
    return this.sql.transaction(async (tx) => {
      const result = await new PgEventStore(tx).handle(generationStream(taskId), generationDecider, command, options);
      const created = createdOf(taskId, result.events);
      await alongside(tx, created);
      return created;
    });
  }

  async cancel({ taskId, accountId, requestId }: GenerationCancel): Promise<void> {
    const command = { type: 'CancelGeneration' as const, now: this.clock.now().toISOString() };
    await this.store.handle(generationStream(taskId), generationDecider, command, this.options(taskId, accountId, requestId));
  }

  private options(taskId: string, accountId: string, requestId: string): HandleOptions {
    return { metadata: { correlationId: taskId, accountId, requestId, schemaVersion: 1 }, eventId: () => newId() };
  }
}

/** A stream that already held a task decides nothing: this request did not create it. */
function createdOf(taskId: string, events: readonly GenerationEvent[]): GenerationCreated {
  const created = events.find((event): event is GenerationCreated => event.type === 'GenerationCreated');
  if (!created) throw new Error(`Generation ${taskId} was not created`);
  return created;
}
