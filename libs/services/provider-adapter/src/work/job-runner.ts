import { Logger } from '@nestjs/common';
import { FailureCode, providerJobStream, type GenerationRequest, type InputImageRef } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import { providerJobDecider, type ProviderJobCommand } from '@darkroom/domain-provider-job';
import { PgEventStore } from '@darkroom/event-store';
import { newId, type Clock, type Untimed } from '@darkroom/kernel';
import type { DarkroomMetrics } from '@darkroom/observability';
import type { ObjectStorage } from '@darkroom/object-storage';
import type {
  ImageProvider,
  JobObservation,
  ModelCatalog,
  Moderation,
  ProviderInputImage,
  ProviderJobRef,
  SubmitOutcome,
} from '@darkroom/providers';
import type { ProviderRegistry } from '../provider-registry';
import { stageOutputs } from '../staging';
import { pollDelayMs } from './poll-schedule';
import type { ProviderJobRow } from './provider-job-row';
import { ProviderJobsRepository } from './provider-jobs.repository';

/** How long a provider may fetch an input image through its presigned URL. */
const INPUT_URL_SECONDS = 3600;

export interface JobRunnerOptions {
  /** darkroom's public base URL for provider callbacks; undefined → poll only. */
  readonly webhookBaseUrl?: string;
  /** Providers that sign their callbacks with what we configured (e.g. no BFL secret → no BFL webhooks). */
  readonly webhookProviders: ReadonlySet<string>;
  /** Checks the prompt and negative prompt before any provider sees them. */
  readonly moderation: Moderation;
  /** Where provider call latencies and errors are counted (none in unit tests). */
  readonly metrics?: DarkroomMetrics;
}

type Record_ = (command: Untimed<ProviderJobCommand>) => Promise<unknown>;

/**
 * Runs one claimed row: the provider call happens outside any transaction, then what the
 * provider said is recorded (events on `provider-job-{task}-{attempt}` plus the row's next
 * phase) in one transaction. A row the task abandoned meanwhile gets its result recorded as
 * late, and a job that was accepted is then canceled at the provider.
 */
export class JobRunner {
  private readonly logger = new Logger(JobRunner.name);
  private readonly repo: ProviderJobsRepository;

  constructor(
    private readonly sql: Sql,
    private readonly objects: ObjectStorage,
    private readonly clock: Clock,
    private readonly catalog: ModelCatalog,
    private readonly providers: ProviderRegistry,
    private readonly options: JobRunnerOptions,
  ) {
    this.repo = new ProviderJobsRepository(sql);
  }

  async run(row: ProviderJobRow): Promise<void> {
    const provider = this.providers.get(row.provider);
    switch (row.phase) {
      case 'submit':
        return this.submit(row, provider);
      case 'poll':
        return this.poll(row, provider);
      case 'cancel':
        await this.timed(row, 'cancel', () => provider.cancel(this.refOf(row))).catch(() => undefined);
        await this.sql.transaction((tx) => this.repo.setPhase(tx, row.taskId, 'done', row.attempt));
        return;
      default:
        return;
    }
  }

  private async submit(row: ProviderJobRow, provider: ImageProvider): Promise<void> {
    const model = this.catalog.get(row.model);
    const { request } = row;
    const blocked = await this.moderatePrompt(request);
    if (blocked !== undefined) return this.refuse(row, model.providerModel, blocked);
    const [inputImages, referenceImages] = await Promise.all([
      this.loadInputs(request.inputImages ?? []),
      this.loadInputs(request.referenceImages ?? []),
    ]);
    const hasInputs = inputImages.length + referenceImages.length > 0;
    const providerModel = hasInputs && model.providerEditModel ? model.providerEditModel : model.providerModel;
    const outcome: SubmitOutcome = await this.timed(row, 'submit', () => provider.submit({
      taskId: row.taskId,
      attempt: row.attempt,
      providerModel,
      prompt: request.prompt,
      ...(request.negativePrompt ? { negativePrompt: request.negativePrompt } : {}),
      width: request.width,
      height: request.height,
      ...(request.aspectRatio ? { aspectRatio: request.aspectRatio } : {}),
      n: request.n,
      seed: request.seed,
      ...(request.quality ? { quality: request.quality } : {}),
      inputImages,
      referenceImages,
      ...(this.webhookUrl(row) ? { webhookUrl: this.webhookUrl(row) } : {}),
    }));
    const outputs = outcome.kind === 'completed' ? await stageOutputs(this.objects, row.taskId, row.attempt, outcome.images) : undefined;

    await this.record(row, async (record, current, tx) => {
      const job = outcome.kind === 'accepted' ? outcome.job : undefined;
      await record({
        type: 'SubmitProviderJob',
        taskId: row.taskId,
        accountId: row.accountId,
        attempt: row.attempt,
        model: row.model,
        provider: row.provider,
        providerModel,
        providerJobId: job?.providerJobId ?? `${row.provider}-${row.taskId}-${row.attempt}`,
        ...(job?.handle ? { handle: job.handle } : {}),
      });
      const abandoned = current?.phase === 'abandoned';
      if (abandoned) await record({ type: 'AbandonProviderJob', reason: 'task ended while submitting' });
      if (outcome.kind === 'completed') await record({ type: 'SucceedProviderJob', outputs: outputs ?? [] });
      if (outcome.kind === 'failed') await record({ type: 'FailProviderJob', ...outcome.failure });
      if (!current) return;
      if (job && abandoned) return this.repo.setPhase(tx, row.taskId, 'cancel', row.attempt);
      if (job) return this.repo.accepted(tx, row.taskId, job.providerJobId, job.handle, this.nextPoll(row, 0));
      return this.repo.setPhase(tx, row.taskId, 'done', row.attempt);
    });
  }

  private async poll(row: ProviderJobRow, provider: ImageProvider): Promise<void> {
    const observation: JobObservation = await this.timed(row, 'poll', () => provider.poll(this.refOf(row))).catch((error: unknown) => ({
      kind: 'pending' as const,
      providerStatus: `poll_error:${(error as Error).message}`.slice(0, 200),
    }));
    const outputs = observation.kind === 'succeeded' ? await stageOutputs(this.objects, row.taskId, row.attempt, observation.images) : undefined;
    await this.record(row, async (record, _current, tx) => {
      switch (observation.kind) {
        case 'pending':
          if (!observation.providerStatus.startsWith('poll_error')) {
            await record({
              type: 'ObserveProviderJob',
              providerStatus: observation.providerStatus,
              source: 'poll',
              ...(observation.queuePosition === undefined ? {} : { queuePosition: observation.queuePosition }),
            });
          }
          return this.repo.later(tx, row.taskId, this.nextPoll(row, row.polls + 1), observation.providerStatus);
        case 'succeeded':
          await record({ type: 'SucceedProviderJob', outputs: outputs ?? [] });
          return this.repo.setPhase(tx, row.taskId, 'done', row.attempt);
        case 'failed':
          await record({ type: 'FailProviderJob', ...observation.failure });
          return this.repo.setPhase(tx, row.taskId, 'done', row.attempt);
        case 'canceled':
          await record({ type: 'CancelProviderJob' });
          return this.repo.setPhase(tx, row.taskId, 'done', row.attempt);
      }
    });
  }

  /** A provider call, timed by provider and operation; a failed outcome also counts as an error by its code. */
  private timed<T>(row: ProviderJobRow, operation: string, call: () => Promise<T>): Promise<T> {
    const metrics = this.options.metrics;
    if (!metrics) return call();
    return metrics.timeProviderCall(row.provider, operation, call, (result) => {
      const failure = (result as { kind?: string; failure?: { code: string } } | undefined)?.failure;
      return failure ? { outcome: 'failed', errorCode: failure.code } : { outcome: 'ok' };
    });
  }

  /** Why darkroom's moderation refuses the prompt or negative prompt, or undefined when it allows both. */
  private async moderatePrompt(request: GenerationRequest): Promise<string | undefined> {
    for (const text of [request.prompt, request.negativePrompt ?? '']) {
      if (!text) continue;
      const verdict = await this.options.moderation.checkPrompt(text);
      if (!verdict.allowed) return verdict.reason;
    }
    return undefined;
  }

  /**
   * darkroom's moderation refused the prompt, so no provider is called. The provider-job
   * decider fails only a submitted job, so the attempt is recorded as handed to darkroom's
   * own check (job id `moderation-…`) and failed at once, not retryable, as a provider's own
   * refusal would be: the task fails with content_moderated and its credits are released.
   */
  private async refuse(row: ProviderJobRow, providerModel: string, reason: string): Promise<void> {
    this.logger.log(`${this.describe(row)} (correlation ${row.taskId}): prompt blocked by moderation: ${reason}`);
    await this.record(row, async (record, current, tx) => {
      await record({
        type: 'SubmitProviderJob',
        taskId: row.taskId,
        accountId: row.accountId,
        attempt: row.attempt,
        model: row.model,
        provider: row.provider,
        providerModel,
        providerJobId: `moderation-${row.taskId}-${row.attempt}`,
      });
      if (current?.phase === 'abandoned') await record({ type: 'AbandonProviderJob', reason: 'task ended while submitting' });
      await record({
        type: 'FailProviderJob',
        code: FailureCode.contentModerated,
        retryable: false,
        detail: { source: 'darkroom', reason },
      });
      if (current) await this.repo.setPhase(tx, row.taskId, 'done', row.attempt);
    });
  }

  /** One transaction: lock the row, run the decider for each command, update the row. */
  private async record(
    row: ProviderJobRow,
    work: (record: Record_, current: ProviderJobRow | undefined, tx: Sql) => Promise<void>,
  ): Promise<void> {
    const stream = providerJobStream(row.taskId, row.attempt);
    await this.sql.transaction(async (tx) => {
      const locked = await this.repo.lock(tx, row.taskId);
      // A row that moved on to a later attempt is not ours to update; the events still belong to this attempt.
      const current = locked && locked.attempt === row.attempt ? locked : undefined;
      const store = new PgEventStore(tx);
      const record: Record_ = (command) =>
        store.handle(stream, providerJobDecider, { ...command, now: this.clock.now().toISOString() } as ProviderJobCommand, {
          metadata: { correlationId: row.taskId, causationId: row.causeEventId, accountId: row.accountId, schemaVersion: 1 },
          eventId: () => newId(),
        });
      await work(record, current, tx);
    });
  }

  private async loadInputs(refs: readonly InputImageRef[]): Promise<ProviderInputImage[]> {
    return Promise.all(
      refs.map(async (ref) => ({
        bytes: await this.objects.getObjectBytes(ref.key),
        contentType: ref.contentType,
        url: await this.objects.presignGet(ref.key, INPUT_URL_SECONDS),
      })),
    );
  }

  private webhookUrl(row: ProviderJobRow): string | undefined {
    const base = this.options.webhookBaseUrl;
    if (!base || !this.options.webhookProviders.has(row.provider)) return undefined;
    const query = new URLSearchParams({ task: row.taskId, attempt: String(row.attempt) });
    return `${base.replace(/\/$/, '')}/webhooks/providers/${row.provider}?${query.toString()}`;
  }

  private nextPoll(row: ProviderJobRow, polls: number): Date {
    const delay = pollDelayMs({
      intervalSeconds: this.catalog.get(row.model).pollIntervalSeconds,
      polls,
      webhooks: this.webhookUrl(row) !== undefined,
    });
    return new Date(this.clock.now().getTime() + delay);
  }

  private refOf(row: ProviderJobRow): ProviderJobRef {
    return {
      providerJobId: row.providerJobId ?? '',
      providerModel: this.catalog.get(row.model).providerModel,
      ...(row.handle ? { handle: row.handle } : {}),
    };
  }

  describe(row: ProviderJobRow): string {
    return `${row.phase} ${row.provider} task ${row.taskId} attempt ${row.attempt}`;
  }

  warn(row: ProviderJobRow, error: unknown): void {
    this.logger.warn(`${this.describe(row)} (correlation ${row.taskId}): ${String(error)}`);
  }
}
