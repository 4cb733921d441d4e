import { Inject, Injectable } from '@nestjs/common';
import {
  GenerationCommands,
  generationStream,
  type AlongsideCreation,
  type GenerationCancel,
  type GenerationCreated,
  type GenerationEvent,
  type NewBatch,
  type NewGeneration,
} from '@darkroom/contracts';
import { batchExists, insertBatch } from '@darkroom/read-model-batches';
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
    const command = createCommand(generation, taskId, this.clock.now());
    const options = this.options(taskId, generation.request.accountId, generation.requestId);
    if (!alongside) return createdOf(taskId, (await this.store.handle(generationStream(taskId), generationDecider, command, options)).events);
    return this.sql.transaction(async (tx) => {
      const result = await new PgEventStore(tx).handle(generationStream(taskId), generationDecider, command, options);
      const created = createdOf(taskId, result.events);
      await alongside(tx, created);
      return created;
    });
  }

  /**
   * The batch's rows and its items' streams in one transaction: a crash leaves all or none. Its
   * credits are already reserved (one ledger decision), so each item is created queued. A batch
   * id already recorded creates nothing (a repeat of a request that got that far).
   */
  async createBatch(batch: NewBatch, alongside?: (tx: Sql) => Promise<void>): Promise<void> {
    const now = this.clock.now();
    await this.sql.transaction(async (tx) => {
      if (await batchExists(tx, batch.batchId)) return;
      const price = batch.items.reduce((sum, item) => sum + item.price, 0);
      await insertBatch(
        tx,
        { id: batch.batchId, accountId: batch.accountId, itemCount: batch.items.length, price, createdAt: now.toISOString() },
        batch.items.map((item, index) => ({ index, taskId: item.taskId, customId: item.customId ?? null })),
      );
      const store = new PgEventStore(tx);
      for (const item of batch.items) {
        const command: CreateGeneration = { ...createCommand(item, item.taskId, now), batchId: batch.batchId };
        await store.handle(generationStream(item.taskId), generationDecider, command, this.options(item.taskId, batch.accountId, batch.requestId));
      }
      await alongside?.(tx);
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

function createCommand(generation: NewGeneration, taskId: string, now: Date): CreateGeneration {
  return {
    type: 'CreateGeneration',
    taskId,
    request: generation.request,
    price: generation.price,
    deadline: new Date(now.getTime() + generation.deadlineSeconds * 1000).toISOString(),
    metadata: generation.metadata,
    ...(generation.spender === undefined ? {} : { spender: generation.spender }),
    ...(generation.webhook === undefined ? {} : { webhook: generation.webhook }),
    ...(generation.scopedToken === undefined ? {} : { scopedToken: generation.scopedToken }),
    ...(generation.idempotencyKey === undefined ? {} : { idempotencyKey: generation.idempotencyKey }),
    now: now.toISOString(),
  };
}

/** A stream that already held a task decides nothing: this request did not create it. */
function createdOf(taskId: string, events: readonly GenerationEvent[]): GenerationCreated {
  const created = events.find((event): event is GenerationCreated => event.type === 'GenerationCreated');
  if (!created) throw new Error(`Generation ${taskId} was not created`);
  return created;
}
