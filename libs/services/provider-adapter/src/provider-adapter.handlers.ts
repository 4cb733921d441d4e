import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  Category,
  eventKey,
  providerJobStream,
  type GenerationQueued,
  type ProviderOutput,
} from '@darkroom/contracts';
import { providerJobDecider, type ProviderJobCommand } from '@darkroom/domain-provider-job';
import type { Clock, Untimed } from '@darkroom/kernel';
import { OnEvent, type EventContext, type EventMessage } from '@darkroom/messaging';
import type { ObjectStorage } from '@darkroom/object-storage';
import { ModelCatalog } from '@darkroom/providers';
import { causedBy, CLOCK, OBJECT_STORAGE, type MessageOf } from '@darkroom/runtime';
import { ProviderRegistry } from './provider-registry';
import { stagingKey } from './staging';

export const PROVIDER_ADAPTER = 'provider-adapter';

/** Submits queued generations to their provider and records what the provider answered. */
@Controller()
export class ProviderAdapterHandlers {
  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(OBJECT_STORAGE) private readonly objects: ObjectStorage,
    private readonly catalog: ModelCatalog,
    private readonly providers: ProviderRegistry,
  ) {}

  @OnEvent(PROVIDER_ADAPTER, eventKey(Category.generation, 'GenerationQueued'))
  async submit(@Payload() message: MessageOf<GenerationQueued>, @Ctx() ctx: EventContext): Promise<void> {
    const { taskId, request } = message.data;
    const attempt = 1;
    const stream = providerJobStream(taskId, attempt);
    if ((await ctx.store.readStream(stream)).length > 0) return; // already submitted: a redelivery

    const model = this.catalog.get(request.model);
    // The local renderer answers in milliseconds, so it runs inside the inbox transaction.
    // Remote providers must not hold a transaction open across an HTTP call: they submit
    // first and record the outcome in a transaction of its own (issue 3).
    const outcome = await this.providers.get(model.provider).submit({
      taskId,
      attempt,
      providerModel: model.providerModel,
      prompt: request.prompt,
      negativePrompt: request.negativePrompt,
      width: request.width,
      height: request.height,
      n: request.n,
      seed: request.seed,
    });
    const providerJobId = outcome.kind === 'accepted' ? outcome.providerJobId : `${model.provider}-${taskId}-${attempt}`;
    const record = (body: Untimed<ProviderJobCommand>) =>
      ctx.store.handle(
        stream,
        providerJobDecider,
        { ...body, now: this.clock.now().toISOString() } as ProviderJobCommand,
        causedBy(PROVIDER_ADAPTER, message, stream),
      );

    await record({
      type: 'SubmitProviderJob',
      taskId,
      accountId: request.accountId,
      attempt,
      provider: model.provider,
      providerModel: model.providerModel,
      providerJobId,
    });
    switch (outcome.kind) {
      case 'accepted':
        return; // results arrive by webhook or poll
      case 'failed':
        await record({ type: 'FailProviderJob', code: outcome.code, retryable: outcome.retryable, detail: outcome.detail });
        return;
      case 'completed':
        await record({ type: 'SucceedProviderJob', outputs: await this.stage(message, taskId, attempt, outcome.images) });
        return;
    }
  }

  private async stage(
    message: EventMessage,
    taskId: string,
    attempt: number,
    images: readonly { bytes: Buffer; contentType: string }[],
  ): Promise<ProviderOutput[]> {
    return Promise.all(
      images.map(async (image, index) => {
        const key = stagingKey(taskId, attempt, index);
        await this.objects.putObject(key, image.bytes, {
          contentType: image.contentType,
          contentLength: image.bytes.length,
          metadata: { 'task-id': taskId, 'event-id': message.eventId },
        });
        return { index, stagingKey: key, contentType: image.contentType };
      }),
    );
  }
}
