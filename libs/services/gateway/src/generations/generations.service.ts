import { randomInt } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  GenerationCommands,
  PRIORITIES,
  TASK_WEBHOOK_EVENT_TYPES,
  WebhookEndpoints,
  type Priority,
  type GenerationCreated,
  type GenerationRequest,
  type InputImageRef,
  type NewGeneration,
  type RecordedEvent,
  type Spender,
} from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import type { EventStore } from '@darkroom/event-store';
import { DomainError } from '@darkroom/kernel';
import { addToLogContext } from '@darkroom/logging';
import { ModelCatalog, type ModelEntry } from '@darkroom/providers';
import { EVENT_STORE, SQL } from '@darkroom/runtime';
import { evolveGenerationRow, isGenerationRowEvent, loadGeneration, type GenerationRow } from '@darkroom/read-model-generations';
import { creditBalanceProjection } from '@darkroom/read-model-credit-balances';
import { availableProviders, GATEWAY_OPTIONS, type GatewayOptions } from '../gateway.options';
import { isUuid } from '../http/ids';
import { IdempotencyService, type IdempotencyClaim, type StoredResponse } from '../idempotency/idempotency.service';
import { UploadsService } from '../uploads/uploads.service';
import { SpendCapChecks } from '../spend/spend-cap-checks';
import type { ScopedTokenClaims } from '../tokens/scoped-token';
import { scopeRefused } from '../tokens/token-access';
import type { CreateGenerationDto } from './create-generation.dto';

/** A request to create a task, from `POST /v1/generations` or the OpenAI façade. */
export interface TaskRequest {
  readonly accountId: string;
  /** The API key the request came with: its spend caps apply. */
  readonly apiKeyId?: string;
  readonly requestId: string;
  /** The highest lane the account may ask for (from its key); default standard. */
  readonly maxPriority?: Priority;
  /** The native request; the façade builds it by storing an edit's images first, under the key's claim. */
  readonly body: CreateGenerationDto | (() => Promise<CreateGenerationDto>);
  readonly idempotency?: KeyedRequest;
  /** The scoped token that asks (`POST /v1/tokens`): its limits apply and the task is tagged with it. */
  readonly token?: ScopedTokenClaims;
}

/** A request's `Idempotency-Key` (decision 0012). */
export interface KeyedRequest {
  readonly key: string;
  /** What makes a repeat "the same request": `requestFingerprint(route, body)`. */
  readonly fingerprint: string;
  /** The response stored with the key, for repeats to replay; none when the caller answers later (the façade). */
  readonly respond?: (row: GenerationRow) => StoredResponse;
}

/** The new task, or what an earlier request with the same key left. */
export type TaskCreation =
  | { readonly kind: 'created'; readonly row: GenerationRow }
  /** The first response again. */
  | { readonly kind: 'replay'; readonly body: unknown }
  /** The task an earlier request with the key created, which stored no response (the façade's). */
  | { readonly kind: 'existing'; readonly taskId: string };

/** The rest of the request's log lines (and its access-log line) name the task it created. */
function logTask(row: GenerationRow): GenerationRow {
  addToLogContext({ taskId: row.id, correlationId: row.id });
  return row;
}

const notFound = (id: string) => new DomainError('generation_not_found', 'not_found', `No generation ${id}.`);

/** The gateway's use cases on tasks: accept a request, read one back, cancel one. */
@Injectable()
export class GenerationsService {
  constructor(
    @Inject(SQL) private readonly sql: Sql,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(GATEWAY_OPTIONS) private readonly options: GatewayOptions,
    private readonly catalog: ModelCatalog,
    private readonly uploads: UploadsService,
    private readonly idempotency: IdempotencyService,
    private readonly commands: GenerationCommands<Sql>,
    private readonly spendCaps: SpendCapChecks,
    private readonly webhooks: WebhookEndpoints,
  ) {}

  /**
   * The one place a task is created, for both routes that create one. With an
   * `Idempotency-Key`, the key is claimed first and released if the request is refused; the
   * task takes the claim's id, and GenerationCreated is appended (NO_STREAM) in one
   * transaction with the key's row (decisions 0012, 0022).
   */
  async create({ accountId, apiKeyId, requestId, maxPriority = 'standard', body, idempotency: keyed, token }: TaskRequest): Promise<TaskCreation> {
    const dtoOf = async () => (typeof body === 'function' ? body() : body);
    const asked = { accountId, apiKeyId, requestId, maxPriority, token };
    if (!keyed) return { kind: 'created', row: logTask(await this.accept(asked, await dtoOf())) };
    const outcome = await this.idempotency.begin(accountId, keyed.key, keyed.fingerprint);
    if (outcome.kind === 'replay') return { kind: 'replay', body: outcome.body };
    if (outcome.kind === 'created') return { kind: 'existing', taskId: outcome.taskId };
    const { claim } = outcome;
    const row = await this.idempotency.whileClaimed(claim, async () =>
      this.accept(asked, await dtoOf(), { claim, respond: keyed.respond }),
    );
    return { kind: 'created', row: logTask(row) };
  }

  /** Everything a request can be refused for is checked here, before anything is appended or charged. */
  private async accept(
    { accountId, apiKeyId, requestId, maxPriority, token }: Pick<TaskRequest, 'accountId' | 'apiKeyId' | 'requestId' | 'token'> & {
      readonly maxPriority: Priority;
    },
    dto: CreateGenerationDto,
    claimed?: { readonly claim: IdempotencyClaim; readonly respond?: KeyedRequest['respond'] },
  ): Promise<GenerationRow> {
    const prepared = await this.prepare(accountId, apiKeyId, dto, maxPriority, token);
    await this.assertAffordable(accountId, prepared.price);
    await this.spendCaps.assertWithinCaps(accountId, prepared.spender, prepared.price);
    const generation = {
      ...prepared,
      requestId,
      ...(claimed ? { taskId: claimed.claim.taskId, idempotencyKey: claimed.claim.key } : {}),
    };
    const recordKey =
      claimed && ((tx: Sql, created: GenerationCreated) => this.idempotency.recordCreated(tx, claimed.claim, claimed.respond?.(this.rowOf(created))));
    return this.rowOf(await this.commands.create(generation, recordKey));
  }

  /**
   * A request checked and priced, not yet charged: the model is available, the uploads are the
   * caller's, the model takes what is asked. Shared by single tasks and batch items.
   */
  async prepare(
    accountId: string,
    apiKeyId: string | undefined,
    dto: CreateGenerationDto,
    maxPriority: Priority = 'standard',
    token?: ScopedTokenClaims,
  ): Promise<Omit<NewGeneration, 'requestId'>> {
    const priority = allowedPriority(dto.priority, maxPriority);
    const model = this.availableModel(dto.model);
    if (token) withinScope(token, model.id);
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
      ...(images.inputSize ? { inputSize: images.inputSize } : {}),
    });
    const price = this.catalog.price(model, resolved);
    const deadlineSeconds = deadlineOf(model, dto.deadline_seconds);
    if (token) withinScope(token, model.id, price);
    if (dto.webhook) await this.webhooks.checkUrl(dto.webhook.url, 'webhook.url');
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
      priority,
    };
    const spender = spenderOf(apiKeyId, dto.user);
    return {
      request,
      price,
      deadlineSeconds,
      ...(dto.metadata ? { metadata: dto.metadata } : {}),
      ...(spender ? { spender } : {}),
      ...(dto.webhook
        ? { webhook: { url: dto.webhook.url, events: TASK_WEBHOOK_EVENT_TYPES.filter((type) => (dto.webhook?.events ?? TASK_WEBHOOK_EVENT_TYPES).includes(type)) } }
        : {}),
      ...(token ? { scopedToken: { tokenId: token.id, endUserId: token.endUserId } } : {}),
    };
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
   * Its credits read `released`, as they will be once the ledger has the cancel.
   */
  async cancel(accountId: string, taskId: string, requestId: string): Promise<GenerationRow> {
    await this.get(accountId, taskId);
    await this.commands.cancel({ taskId, accountId, requestId });
    const row = this.fold(await this.store.readCorrelated(taskId));
    if (!row) throw notFound(taskId);
    // The ledger releases what a canceled task holds (or will hold: a late reservation is settled
    // as it is made), a moment after the cancel: the answer states that outcome already.
    return row.creditsState === 'reserved' || row.creditsState === 'pending' ? { ...row, creditsState: 'released' } : row;
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

  /** The task as the read model will show it once it has the event. */
  private rowOf(created: GenerationCreated): GenerationRow {
    const row = this.fold([{ ...created, recordedAt: created.data.createdAt }]);
    if (!row) throw new Error(`Generation ${created.data.taskId} was not created`);
    return row;
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
  async assertAffordable(accountId: string, price: number): Promise<void> {
    const available = (await creditBalanceProjection.load(this.sql, accountId))?.available ?? 0;
    if (available < price) {
      throw new DomainError(
        'insufficient_credits',
        'payment_required',
        `This request costs ${price} credit${price === 1 ? '' : 's'} and ${available} ${available === 1 ? 'is' : 'are'} available.`,
        { price, available },
      );
    }
  }
}

/**
 * The lane a request runs in (decision 0024): the one asked for, refused above the account's
 * maximum; without one, standard, or the account's maximum when that is lower.
 */
export function allowedPriority(requested: Priority | undefined, maximum: Priority): Priority {
  const rank = (priority: Priority) => PRIORITIES.indexOf(priority);
  if (requested === undefined) return rank(maximum) > rank('standard') ? maximum : 'standard';
  if (rank(requested) < rank(maximum)) {
    throw new DomainError('priority_not_allowed', 'validation', `This account may ask for priority ${maximum} at most.`, {
      field: 'priority',
      max_priority: maximum,
    });
  }
  return requested;
}

/** Who a task's credits are spent by, when the request says: the key, the end user. */
function spenderOf(keyId: string | undefined, user: string | undefined): Spender | undefined {
  if (keyId === undefined && user === undefined) return undefined;
  return { ...(keyId === undefined ? {} : { keyId }), ...(user === undefined ? {} : { user }) };
}

/** A scoped token creates on its models, within its price cap, and nothing when it names one task. */
function withinScope(token: ScopedTokenClaims, model: string, price?: number): void {
  const { scope } = token;
  if (scope.taskId !== null) throw scopeRefused(`This token reads task ${scope.taskId} only; it creates nothing.`);
  if (scope.models !== null && !scope.models.includes(model)) throw scopeRefused(`This token may not use the model ${model}.`, { models: scope.models });
  if (price !== undefined && scope.maxPrice !== null && price > scope.maxPrice) {
    throw scopeRefused(`This request costs ${price} credits; the token allows at most ${scope.maxPrice} per generation.`, {
      price,
      max_price: scope.maxPrice,
    });
  }
}

/** The client's deadline, never past the model's own (the catalog's guarantees hold for it). */
function deadlineOf(model: ModelEntry, asked: number | undefined): number {
  if (asked === undefined) return model.deadlineSeconds;
  if (asked > model.deadlineSeconds) {
    const message = `deadline_seconds must be at most ${model.deadlineSeconds}, the deadline of ${model.id}`;
    throw new DomainError('deadline_above_model', 'validation', `The model ${model.id} allows at most ${model.deadlineSeconds} seconds.`, {
      errors: [{ field: 'deadline_seconds', message }],
      max_deadline_seconds: model.deadlineSeconds,
    });
  }
  return asked;
}

/** `{ [key]: refs }` when there are any: a text-to-image request carries no empty lists. */
function nonEmpty<K extends 'inputImages' | 'referenceImages'>(key: K, refs: readonly InputImageRef[]) {
  return refs.length > 0 ? ({ [key]: refs } as { [P in K]: readonly InputImageRef[] }) : {};
}
