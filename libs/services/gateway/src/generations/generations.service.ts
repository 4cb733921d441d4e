import { randomInt } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { generationStream, type GenerationRequest, type InputImageRef, type RecordedEvent } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import { generationDecider } from '@darkroom/domain-generation';
import { PgEventStore, type EventStore } from '@darkroom/event-store';
import { DomainError, newId, type Clock } from '@darkroom/kernel';
import { ModelCatalog, type ModelEntry } from '@darkroom/providers';
import { CLOCK, EVENT_STORE, SQL } from '@darkroom/runtime';
import { evolveGenerationRow, isGenerationRowEvent, loadGeneration, type GenerationRow } from '@darkroom/read-model-generations';
import { creditBalanceProjection } from '@darkroom/read-model-credit-balances';
import { availableProviders, GATEWAY_OPTIONS, type GatewayOptions } from '../gateway.options';
import { isUuid } from '../http/ids';
import { IdempotencyService, type IdempotencyClaim, type StoredResponse } from '../idempotency/idempotency.service';
import { UploadsService } from '../uploads/uploads.service';
import type { CreateGenerationDto } from './create-generation.dto';

/** A request that holds its `Idempotency-Key`'s claim: the task takes the claim's id. */
export interface ClaimedRequest {
  readonly claim: IdempotencyClaim;
  /** The response stored with the key, for repeats to replay; none when the caller answers later (the façade). */
  readonly respond?: (row: GenerationRow) => StoredResponse;
}

const notFound = (id: string) => new DomainError('generation_not_found', 'not_found', `No generation ${id}.`);

/** The gateway's use cases on tasks: accept a request, read one back, cancel one. */
@Injectable()
export class GenerationsService {
  constructor(
    @Inject(SQL) private readonly sql: Sql,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(GATEWAY_OPTIONS) private readonly options: GatewayOptions,
    private readonly catalog: ModelCatalog,
    private readonly uploads: UploadsService,
    private readonly idempotency: IdempotencyService,
  ) {}

  /**
   * Everything a request can be refused for is checked here, before anything is appended or
   * charged. With a claimed `Idempotency-Key`, GenerationCreated is appended (NO_STREAM, on
   * the claim's task id) in one transaction with the key's row (decision 0012).
   */
  async create(accountId: string, dto: CreateGenerationDto, requestId: string, claimed?: ClaimedRequest): Promise<GenerationRow> {
    const model = this.availableModel(dto.model);
    // The caller's own mistake (an id it does not have) is named before what the model can do with it.
    const images = await this.uploads.resolve(accountId, {
      input_images: dto.input_images ?? [],
      reference_images: dto.reference_images ?? [],
    });
    const resolved = this.catalog.resolve(model.id, {
      size: dto.size,
      aspectRatio: dto.aspect_ratio,
      n: dto.n,
      quality: dto.quality,
      inputImages: images.input_images.length,
      referenceImages: images.reference_images.length,
    });
    const price = this.catalog.price(model, resolved);
    await this.assertAffordable(accountId, price);

    const request: GenerationRequest = {
      accountId,
      model: model.id,
      prompt: dto.prompt,
      ...(dto.negative_prompt ? { negativePrompt: dto.negative_prompt } : {}),
      width: resolved.width,
      height: resolved.height,
      n: resolved.n,
      seed: dto.seed ?? randomInt(0, 2147483647),
      outputFormat: dto.output_format ?? 'png',
      ...(resolved.aspectRatio === undefined ? {} : { aspectRatio: resolved.aspectRatio }),
      ...(resolved.quality === undefined ? {} : { quality: resolved.quality }),
      ...nonEmpty('inputImages', images.input_images),
      ...nonEmpty('referenceImages', images.reference_images),
    };
    const taskId = claimed?.claim.taskId ?? newId();
    const now = this.clock.now();
    const deadline = new Date(now.getTime() + model.deadlineSeconds * 1000).toISOString();
    const command = {
      type: 'CreateGeneration' as const,
      taskId,
      request,
      price,
      deadline,
      metadata: dto.metadata,
      ...(claimed ? { idempotencyKey: claimed.claim.key } : {}),
      now: now.toISOString(),
    };
    const options = { metadata: { correlationId: taskId, accountId, requestId, schemaVersion: 1 }, eventId: () => newId() };
    const created = (events: readonly { type: string; data: unknown }[]): GenerationRow => {
      const row = this.fold(events.map((event) => ({ ...event, recordedAt: now.toISOString() })) as RecordedEvent[]);
      if (!row) throw new Error(`Generation ${taskId} was not created`);
      return row;
    };
    if (!claimed) return created((await this.store.handle(generationStream(taskId), generationDecider, command, options)).events);
    return this.sql.transaction(async (tx) => {
      const result = await new PgEventStore(tx).handle(generationStream(taskId), generationDecider, command, options);
      const row = created(result.events);
      await this.idempotency.recordCreated(tx, claimed.claim, claimed.respond?.(row));
      return row;
    });
  }

  /** The caller's task; another account's id is indistinguishable from a missing one. */
  async get(accountId: string, taskId: string): Promise<GenerationRow> {
    const row = isUuid(taskId) ? await this.load(taskId) : undefined;
    if (!row || row.accountId !== accountId) throw notFound(taskId);
    return row;
  }

  /**
   * Cancels the caller's task; the decider refuses a terminal one (`generation_not_cancelable`).
   * The task comes back folded from its events: the read model may not have the cancel yet.
   */
  async cancel(accountId: string, taskId: string, requestId: string): Promise<GenerationRow> {
    await this.get(accountId, taskId);
    await this.store.handle(
      generationStream(taskId),
      generationDecider,
      { type: 'CancelGeneration', now: this.clock.now().toISOString() },
      { metadata: { correlationId: taskId, accountId, requestId, schemaVersion: 1 }, eventId: () => newId() },
    );
    const row = this.fold(await this.store.readCorrelated(taskId));
    if (!row) throw notFound(taskId);
    return row;
  }

  async isCompleted(taskId: string): Promise<boolean> {
    if ((await loadGeneration(this.sql, taskId))?.status === 'completed') return true;
    // The read model may still say `processing` while the log (and so the status stream a client
    // follows) already says completed: that client fetches the asset at once.
    return this.fold(await this.store.readCorrelated(taskId))?.status === 'completed';
  }

  /** The read model lags the log by a poll interval; a task it lacks is folded from its events. */
  private async load(taskId: string): Promise<GenerationRow | undefined> {
    return (await loadGeneration(this.sql, taskId)) ?? this.fold(await this.store.readCorrelated(taskId));
  }

  /** The row the projection would build from these events (others than its own are skipped). */
  private fold(events: readonly Pick<RecordedEvent, 'type' | 'data' | 'recordedAt'>[]): GenerationRow | undefined {
    return events
      .filter(isGenerationRowEvent)
      .reduce<GenerationRow | undefined>(evolveGenerationRow, undefined);
  }

  /** The model, unless its provider has no credentials here. */
  private availableModel(id: string): ModelEntry {
    const model = this.catalog.get(id);
    if (!availableProviders(this.options).includes(model.provider)) {
      throw new DomainError('model_unavailable', 'validation', `The model ${model.id} is not available on this server.`, {
        field: 'model',
        provider: model.provider,
      });
    }
    return model;
  }

  /** Fast 402 from the balance read model; the ledger's reservation stays the real check. */
  private async assertAffordable(accountId: string, price: number): Promise<void> {
    const available = (await creditBalanceProjection.load(this.sql, accountId))?.available ?? 0;
    if (available < price) {
      throw new DomainError(
        'insufficient_credits',
        'payment_required',
        `This request costs ${price} credits and ${available} are available.`,
        { price, available },
      );
    }
  }
}

/** `{ [key]: refs }` when there are any: a text-to-image request carries no empty lists. */
function nonEmpty<K extends 'inputImages' | 'referenceImages'>(key: K, refs: readonly InputImageRef[]) {
  return refs.length > 0 ? ({ [key]: refs } as { [P in K]: readonly InputImageRef[] }) : {};
}
