import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  Consumer,
  Category,
  eventKey,
  providerJobStream,
  type GenerationCanceled,
  type GenerationFailed,
  type GenerationQueued,
  type GenerationRetryScheduled,
  type ProviderJobCanceled,
  type ProviderJobFailed,
  type ProviderJobObserved,
  type ProviderJobSucceeded,
} from '@darkroom/contracts';
import { providerJobDecider } from '@darkroom/domain-provider-job';
import type { Clock } from '@darkroom/kernel';
import { OnEvent, type EventContext } from '@darkroom/messaging';
import { ModelCatalog } from '@darkroom/providers';
import { causedBy, CLOCK, type MessageOf } from '@darkroom/runtime';
import { ProviderJobsRepository } from './work/provider-jobs.repository';

export const PROVIDER_ADAPTER = Consumer.providerAdapter;

/**
 * Keeps the work table in step with the task: a queued task or a scheduled retry becomes
 * a submit, a terminal provider result ends the row, and a task that ended while its job
 * was open abandons the job (and cancels it at the provider). Provider calls happen in the
 * worker, never inside these message transactions.
 */
@Controller()
export class ProviderAdapterHandlers {
  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly catalog: ModelCatalog,
    private readonly repo: ProviderJobsRepository,
  ) {}

  @OnEvent(PROVIDER_ADAPTER, eventKey(Category.generation, 'GenerationQueued'))
  async schedule(@Payload() message: MessageOf<GenerationQueued>, @Ctx() ctx: EventContext): Promise<void> {
    const { taskId, request, deadline, route } = message.data;
    const model = this.catalog.get(request.model);
    await this.repo.schedule(ctx.tx, {
      taskId,
      accountId: request.accountId,
      // A fallback when the model's circuit breaker was open (decision 0025).
      attempt: route?.attempt ?? 1,
      model: route?.model ?? model.id,
      provider: route?.provider ?? model.provider,
      request,
      deadline,
      causeEventId: message.eventId,
    });
  }

  @OnEvent(PROVIDER_ADAPTER, eventKey(Category.generation, 'GenerationRetryScheduled'))
  async reschedule(@Payload() message: MessageOf<GenerationRetryScheduled>, @Ctx() ctx: EventContext): Promise<void> {
    const { taskId, attempt, model, provider, notBefore } = message.data;
    await this.repo.reschedule(ctx.tx, { taskId, attempt, model, provider, notBefore, causeEventId: message.eventId });
  }

  /** A callback that is only a hint (BFL's unconfirmed scheme) asks for a poll now. */
  @OnEvent(PROVIDER_ADAPTER, eventKey(Category.providerJob, 'ProviderJobObserved'))
  async observed(@Payload() message: MessageOf<ProviderJobObserved>, @Ctx() ctx: EventContext): Promise<void> {
    const { taskId, attempt, source } = message.data;
    if (source !== 'webhook') return;
    const row = await this.repo.lock(ctx.tx, taskId);
    if (row?.attempt === attempt && row.phase === 'poll') await this.repo.later(ctx.tx, taskId, this.clock.now(), undefined, false);
  }

  @OnEvent(PROVIDER_ADAPTER, eventKey(Category.providerJob, 'ProviderJobSucceeded'))
  async succeeded(@Payload() message: MessageOf<ProviderJobSucceeded>, @Ctx() ctx: EventContext): Promise<void> {
    await this.finish(ctx, message.data);
  }

  @OnEvent(PROVIDER_ADAPTER, eventKey(Category.providerJob, 'ProviderJobFailed'))
  async failed(@Payload() message: MessageOf<ProviderJobFailed>, @Ctx() ctx: EventContext): Promise<void> {
    await this.finish(ctx, message.data);
  }

  @OnEvent(PROVIDER_ADAPTER, eventKey(Category.providerJob, 'ProviderJobCanceled'))
  async canceled(@Payload() message: MessageOf<ProviderJobCanceled>, @Ctx() ctx: EventContext): Promise<void> {
    await this.finish(ctx, message.data);
  }

  @OnEvent(PROVIDER_ADAPTER, eventKey(Category.generation, 'GenerationCanceled'))
  async abandonCanceled(@Payload() message: MessageOf<GenerationCanceled>, @Ctx() ctx: EventContext): Promise<void> {
    await this.abandon(ctx, message, 'canceled');
  }

  @OnEvent(PROVIDER_ADAPTER, eventKey(Category.generation, 'GenerationFailed'))
  async abandonFailed(@Payload() message: MessageOf<GenerationFailed>, @Ctx() ctx: EventContext): Promise<void> {
    await this.abandon(ctx, message, message.data.code);
  }

  /** A webhook may end the job before a poll does; either way the row stops running. */
  private async finish(ctx: EventContext, { taskId, attempt }: { taskId: string; attempt: number }): Promise<void> {
    const row = await this.repo.lock(ctx.tx, taskId);
    if (row && row.attempt === attempt && (row.phase === 'submit' || row.phase === 'poll')) {
      await this.repo.setPhase(ctx.tx, taskId, 'done', attempt);
    }
  }

  private async abandon(ctx: EventContext, message: MessageOf<GenerationCanceled | GenerationFailed>, reason: string) {
    const row = await this.repo.lock(ctx.tx, message.data.taskId);
    if (!row) return;
    if (row.phase === 'submit') {
      // A submit in flight finishes in the worker, which sees `abandoned` and records its result as late.
      const leased = await this.repo.isLeased(ctx.tx, row.taskId);
      return this.repo.setPhase(ctx.tx, row.taskId, leased ? 'abandoned' : 'done', row.attempt);
    }
    if (row.phase !== 'poll') return;
    const stream = providerJobStream(row.taskId, row.attempt);
    await ctx.store.handle(
      stream,
      providerJobDecider,
      { type: 'AbandonProviderJob', reason, now: this.clock.now().toISOString() },
      causedBy(PROVIDER_ADAPTER, message, stream),
    );
    await this.repo.setPhase(ctx.tx, row.taskId, 'cancel', row.attempt);
  }
}
