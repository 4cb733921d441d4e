import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  Consumer,
  Category,
  eventKey,
  FailureCode,
  generationStream,
  type AssetRejected,
  type AssetStored,
  type CreditsReservationRejected,
  type CreditsReserved,
  type GenerationEvent,
  type ProviderJobCanceled,
  type ProviderJobFailed,
  type ProviderJobSubmitted,
} from '@darkroom/contracts';
import { generationDecider, type GenerationCommand, type HandleProviderFailure } from '@darkroom/domain-generation';
import type { Clock, Untimed } from '@darkroom/kernel';
import { OnEvent, type EventContext, type EventMessage } from '@darkroom/messaging';
import { ModelCatalog } from '@darkroom/providers';
import { causedBy, CLOCK, type MessageOf } from '@darkroom/runtime';
import { retryBackoffSeconds } from './retry-backoff';
import { TaskMetrics } from '@darkroom/read-model-generations';

export const GENERATION = Consumer.generation;

/** Moves a task through its lifecycle as ledger, provider and storage events arrive. */
@Controller()
export class GenerationHandlers {
  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly catalog: ModelCatalog,
    private readonly taskMetrics: TaskMetrics,
  ) {}

  @OnEvent(GENERATION, eventKey(Category.creditAccount, 'CreditsReserved'))
  async queue(@Payload() message: MessageOf<CreditsReserved>, @Ctx() ctx: EventContext): Promise<void> {
    await this.run(ctx, message, message.data.reservationId, { type: 'QueueGeneration' });
  }

  @OnEvent(GENERATION, eventKey(Category.creditAccount, 'CreditsReservationRejected'))
  async failForCredits(@Payload() message: MessageOf<CreditsReservationRejected>, @Ctx() ctx: EventContext) {
    const { reservationId, amount, available, cap } = message.data;
    const credits = (n: number) => `${n} credit${n === 1 ? '' : 's'}`;
    await this.run(
      ctx,
      message,
      reservationId,
      message.data.reason === 'spend_cap_reached' && cap
        ? {
            type: 'FailGeneration',
            code: FailureCode.spendCapReached,
            message: `This task costs ${credits(amount)}; the ${cap.period === 'day' ? 'daily' : 'monthly'} cap of ${cap.scope} ${cap.id} is ${credits(cap.limit)} and ${cap.used} ${cap.used === 1 ? 'is' : 'are'} used.`,
          }
        : {
            type: 'FailGeneration',
            code: FailureCode.insufficientCredits,
            message: `This task costs ${credits(amount)} and ${available} ${available === 1 ? 'is' : 'are'} available.`,
          },
    );
  }

  @OnEvent(GENERATION, eventKey(Category.providerJob, 'ProviderJobSubmitted'))
  async markProcessing(@Payload() message: MessageOf<ProviderJobSubmitted>, @Ctx() ctx: EventContext) {
    const { taskId, attempt, provider, providerJobId } = message.data;
    await this.run(ctx, message, taskId, { type: 'StartProcessing', attempt, provider, providerJobId });
  }

  /** Retry, fall back or fail: the decider applies the model's attempt plan from the catalog. */
  @OnEvent(GENERATION, eventKey(Category.providerJob, 'ProviderJobFailed'))
  async failForProvider(@Payload() message: MessageOf<ProviderJobFailed>, @Ctx() ctx: EventContext) {
    const { taskId, attempt, code, retryable, retryAfterSeconds, detail } = message.data;
    await this.handleFailure(ctx, message, taskId, { attempt, code, retryable, retryAfterSeconds, detail });
  }

  /** The provider ended the job on its own (e.g. its deadline): another attempt may succeed. */
  @OnEvent(GENERATION, eventKey(Category.providerJob, 'ProviderJobCanceled'))
  async canceledByProvider(@Payload() message: MessageOf<ProviderJobCanceled>, @Ctx() ctx: EventContext) {
    const { taskId, attempt } = message.data;
    await this.handleFailure(ctx, message, taskId, {
      attempt,
      code: FailureCode.providerError,
      retryable: true,
      detail: { message: 'The provider canceled the job.' },
    });
  }

  @OnEvent(GENERATION, eventKey(Category.asset, 'AssetStored'))
  async recordOutput(@Payload() message: MessageOf<AssetStored>, @Ctx() ctx: EventContext) {
    const { taskId, assetId, index, outputCount } = message.data;
    await this.run(ctx, message, taskId, { type: 'RecordOutputStored', assetId, index, outputCount });
  }

  /** An output storage refused: not a keepable image (`storage_error`) or blocked by moderation. */
  @OnEvent(GENERATION, eventKey(Category.asset, 'AssetRejected'))
  async failForStorage(@Payload() message: MessageOf<AssetRejected>, @Ctx() ctx: EventContext) {
    const { taskId, reason, code = FailureCode.storageError } = message.data;
    await this.run(ctx, message, taskId, {
      type: 'FailGeneration',
      code,
      message:
        code === FailureCode.contentModerated
          ? `An output was blocked by content moderation: ${reason}`
          : `An output could not be stored: ${reason}`,
      ...(code === FailureCode.contentModerated ? { providerDetail: { source: 'darkroom', reason } } : {}),
    });
  }

  private async handleFailure(
    ctx: EventContext,
    message: EventMessage,
    taskId: string,
    failure: Pick<HandleProviderFailure, 'attempt' | 'code' | 'retryable' | 'retryAfterSeconds' | 'detail'>,
  ) {
    const state = await ctx.store.readStream<GenerationEvent>(generationStream(taskId));
    const created = state.find((event) => event.type === 'GenerationCreated')?.data;
    if (!created) return;
    const request = created.request;
    const hasInputs = (request.inputImages?.length ?? 0) + (request.referenceImages?.length ?? 0) > 0;
    await this.run(ctx, message, taskId, {
      type: 'HandleProviderFailure',
      ...failure,
      plan: this.catalog.attemptPlan(request.model, hasInputs),
      backoffSeconds: retryBackoffSeconds(failure.attempt),
    });
  }

  private async run(ctx: EventContext, message: EventMessage, taskId: string, body: Untimed<GenerationCommand>) {
    const stream = generationStream(taskId);
    const command = { ...body, now: this.clock.now().toISOString() } as GenerationCommand;
    const result = await ctx.store.handle(stream, generationDecider, command, causedBy(GENERATION, message, stream));
    await this.taskMetrics.observeEnd(ctx.store, taskId, result.events);
  }
}
