import { randomInt } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { generationStream, type GenerationRequest, type RecordedEvent } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import { generationDecider } from '@darkroom/domain-generation';
import type { EventStore } from '@darkroom/event-store';
import { DomainError, newId, type Clock } from '@darkroom/kernel';
import { ModelCatalog } from '@darkroom/providers';
import { CLOCK, EVENT_STORE, SQL } from '@darkroom/runtime';
import { evolveGeneration, generationProjection, loadGeneration, type GenerationRow } from '@darkroom/service-generation';
import { creditBalanceProjection } from '@darkroom/service-ledger';
import type { CreateGenerationDto } from './create-generation.dto';
import { isUuid } from '../http/ids';

const notFound = (id: string) => new DomainError('generation_not_found', 'not_found', `No generation ${id}.`);

/** The gateway's use cases on tasks: accept a request, read one back. */
@Injectable()
export class GenerationsService {
  constructor(
    @Inject(SQL) private readonly sql: Sql,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly catalog: ModelCatalog,
  ) {}

  async create(accountId: string, dto: CreateGenerationDto, requestId: string): Promise<GenerationRow> {
    const request = this.toRequest(accountId, dto);
    const model = this.catalog.get(request.model);
    const price = this.catalog.price(model, request.n);
    await this.assertAffordable(accountId, price);

    const taskId = newId();
    const now = this.clock.now();
    const deadline = new Date(now.getTime() + model.deadlineSeconds * 1000).toISOString();
    const result = await this.store.handle(
      generationStream(taskId),
      generationDecider,
      { type: 'CreateGeneration', taskId, request, price, deadline, metadata: dto.metadata, now: now.toISOString() },
      { metadata: { correlationId: taskId, accountId, requestId, schemaVersion: 1 }, eventId: () => newId() },
    );
    const row = this.fold(result.events.map((event) => ({ ...event, recordedAt: now.toISOString() })));
    if (!row) throw new Error(`Generation ${taskId} was not created`);
    return row;
  }

  /** The caller's task; another account's id is indistinguishable from a missing one. */
  async get(accountId: string, taskId: string): Promise<GenerationRow> {
    const row = isUuid(taskId) ? await this.load(taskId) : undefined;
    if (!row || row.accountId !== accountId) throw notFound(taskId);
    return row;
  }

  async isCompleted(taskId: string): Promise<boolean> {
    return (await this.load(taskId))?.status === 'completed';
  }

  /** The read model lags the log by a poll interval; a task it lacks is folded from its events. */
  private async load(taskId: string): Promise<GenerationRow | undefined> {
    return (await loadGeneration(this.sql, taskId)) ?? this.fold(await this.store.readCorrelated(taskId));
  }

  /** The row the projection would build from these events (others than its own are skipped). */
  private fold(events: readonly Pick<RecordedEvent, 'type' | 'data' | 'recordedAt'>[]): GenerationRow | undefined {
    return events
      .filter((event) => generationProjection.eventTypes.includes(event.type))
      .reduce<GenerationRow | undefined>((row, event) => evolveGeneration(row, event as RecordedEvent), undefined);
  }

  private toRequest(accountId: string, dto: CreateGenerationDto): GenerationRequest {
    const model = this.catalog.get(dto.model);
    const [width, height] = (dto.size ?? '512x512').split('x').map(Number);
    const { minSide, maxSide, maxN } = model.capabilities;
    const fieldErrors: { field: string; message: string }[] = [];
    if ([width, height].some((side) => side < minSide || side > maxSide)) {
      fieldErrors.push({ field: 'size', message: `each side must be between ${minSide} and ${maxSide} for ${model.id}` });
    }
    const n = dto.n ?? 1;
    if (n > maxN) fieldErrors.push({ field: 'n', message: `${model.id} makes at most ${maxN} images per request` });
    if (fieldErrors.length > 0) {
      throw new DomainError('unsupported_by_model', 'validation', `The model ${model.id} cannot serve this request.`, {
        errors: fieldErrors,
      });
    }
    return {
      accountId,
      model: model.id,
      prompt: dto.prompt,
      ...(dto.negative_prompt ? { negativePrompt: dto.negative_prompt } : {}),
      width,
      height,
      n,
      seed: dto.seed ?? randomInt(0, 2147483647),
      outputFormat: dto.output_format ?? 'png',
    };
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
