import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  Consumer,
  Category,
  eventKey,
  FailureCode,
  generationStream,
  providerCircuitStream,
  providerJobStream,
  type AssetRejected,
  type AssetStored,
  type CreditsReservationRejected,
  type CreditsReserved,
  type GenerationEvent,
  type GenerationRequest,
  type ProviderJobCanceled,
  type ProviderJobEvent,
  type ProviderJobFailed,
  type ProviderJobSubmitted,
} from '@darkroom/contracts';
import {
  circuitKey,
  generationDecider,
  providerCircuitDecider,
  type AttemptStep,
  type CircuitCommand,
  type CircuitPolicy,
  type GenerationCommand,
  type HandleProviderFailure,
} from '@darkroom/domain-generation';
import type { Clock, Untimed } from '@darkroom/kernel';
import type { Sql } from '@darkroom/database';
import { OnEvent, type EventContext, type EventMessage } from '@darkroom/messaging';
import { ModelCatalog } from '@darkroom/providers';
import { causedBy, CLOCK, type MessageOf } from '@darkroom/runtime';
import { retryBackoffSeconds } from './retry-backoff';
import { loadCircuit, loadOpenCircuits, saveCircuit, TaskMetrics } from '@darkroom/read-model-generations';

/** The open circuits among the plan's steps. */
const onPlan = (open: Readonly<Record<string, string>>, plan: readonly AttemptStep[]) =>
  Object.fromEntries(plan.flatMap((step) => (open[circuitKey(step)] === undefined ? [] : [[circuitKey(step), open[circuitKey(step)]]])));

/** The circuit breakers' settings (decision 0025). */
export const CIRCUIT_POLICY = Symbol('CIRCUIT_POLICY');

export const GENERATION = Consumer.generation;

/** Moves a task through its lifecycle as ledger, provider and storage events arrive. */
@Controller()
export class GenerationHandlers {
  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly catalog: ModelCatalog,
    private readonly taskMetrics: TaskMetrics,
    @Inject(CIRCUIT_POLICY) private readonly circuitPolicy: CircuitPolicy,
  ) {}

  @OnEvent(GENERATION, eventKey(Category.creditAccount, 'CreditsReserved'))
  async queue(@Payload() message: MessageOf<CreditsReserved>, @Ctx() ctx: EventContext): Promise<void> {
    const taskId = message.data.reservationId;
    // Usually no circuit is open: one query on a table of a row per circuit, and nothing else.
    const open = await this.openCircuits(ctx.tx);
    if (Object.keys(open).length === 0) return this.run(ctx, message, taskId, { type: 'QueueGeneration' });
    const created = await this.created(ctx, taskId);
    const plan = created ? this.planOf(created.request) : [];
    await this.run(ctx, message, taskId, { type: 'QueueGeneration', plan, openCircuits: onPlan(open, plan) });
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
    const { taskId, attempt, provider, model, providerJobId } = message.data;
    // The provider accepted an attempt: its circuit's failure count starts again (an open one closes).
    // A refused submit is recorded as submitted and failed in one commit, so the job's stream tells them apart.
    const circuit = await loadCircuit(ctx.tx, provider, model);
    if (circuit && (circuit.status === 'open' || circuit.failures > 0)) {
      const job = await ctx.store.readStream<ProviderJobEvent>(providerJobStream(taskId, attempt));
      if (!job.some((event) => event.type === 'ProviderJobFailed')) {
        await this.recordCircuit(ctx, message, { type: 'RecordCircuitSuccess', provider, model, taskId, attempt });
      }
    }
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
    const plan = this.planOf(created.request);
    if (failure.retryable) {
      // The step the failed attempt ran on: where it was scheduled (a retry, or a queue routed past
      // an open circuit), else the model's own.
      const ran =
        state.flatMap((event) =>
          (event.type === 'GenerationRetryScheduled' && event.data.attempt === failure.attempt) ||
          (event.type === 'GenerationQueued' && event.data.route?.attempt === failure.attempt)
            ? [event.type === 'GenerationQueued' ? event.data.route! : event.data]
            : [],
        )[0] ?? plan[0];
      await this.recordCircuit(ctx, message, {
        type: 'RecordCircuitFailure',
        provider: ran.provider,
        model: ran.model,
        taskId,
        attempt: failure.attempt,
        policy: this.circuitPolicy,
      });
    }
    await this.run(ctx, message, taskId, {
      type: 'HandleProviderFailure',
      ...failure,
      plan,
      backoffSeconds: retryBackoffSeconds(failure.attempt),
      openCircuits: onPlan(await this.openCircuits(ctx.tx), plan),
    });
  }

  private async created(ctx: EventContext, taskId: string) {
    const state = await ctx.store.readStream<GenerationEvent>(generationStream(taskId));
    const created = state.find((event) => event.type === 'GenerationCreated');
    return created?.type === 'GenerationCreated' ? created.data : undefined;
  }

  /** The model's attempt plan from the catalog: its own attempts, then its fallbacks'. */
  private planOf(request: GenerationRequest): readonly AttemptStep[] {
    const hasInputs = (request.inputImages?.length ?? 0) + (request.referenceImages?.length ?? 0) > 0;
    return this.catalog.attemptPlan(request.model, hasInputs);
  }

  /** Runs the circuit's decider on its stream and keeps its row in step, in the message's transaction. */
  private async recordCircuit(ctx: EventContext, message: EventMessage, body: Untimed<CircuitCommand>): Promise<void> {
    const stream = providerCircuitStream(body.provider, body.model);
    const now = this.clock.now().toISOString();
    const command = { ...body, now } as CircuitCommand;
    const { state, events } = await ctx.store.handle(stream, providerCircuitDecider, command, causedBy(GENERATION, message, stream));
    if (events.length === 0) return;
    await saveCircuit(
      ctx.tx,
      state.status === 'open'
        ? { provider: body.provider, model: body.model, status: 'open', failures: 0, openUntil: state.openUntil }
        : { provider: body.provider, model: body.model, status: 'closed', failures: state.failures.length },
      now,
    );
  }

  /** Every circuit open now (cool-down not over), `provider~model` to the end of its cool-down. */
  private async openCircuits(tx: Sql): Promise<Record<string, string>> {
    const rows = await loadOpenCircuits(tx, this.clock.now().toISOString());
    return Object.fromEntries(rows.map((row) => [circuitKey(row), row.openUntil!]));
  }

  private async run(ctx: EventContext, message: EventMessage, taskId: string, body: Untimed<GenerationCommand>) {
    const stream = generationStream(taskId);
    const command = { ...body, now: this.clock.now().toISOString() } as GenerationCommand;
    const result = await ctx.store.handle(stream, generationDecider, command, causedBy(GENERATION, message, stream));
    await this.taskMetrics.observeEnd(ctx.store, taskId, result.events);
  }
}
