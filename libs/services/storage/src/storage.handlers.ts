import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { assetStream, Category, eventKey, type ProviderJobSucceeded, type ProviderOutput } from '@darkroom/contracts';
import { assetDecider, type AssetCommand } from '@darkroom/domain-asset';
import type { Clock } from '@darkroom/kernel';
import { OnEvent, type EventContext } from '@darkroom/messaging';
import type { ObjectStorage } from '@darkroom/object-storage';
import { causedBy, CLOCK, OBJECT_STORAGE, type MessageOf } from '@darkroom/runtime';
import { assetIdFor, assetKey } from './asset-keys';
import { inspectImage } from './image-inspection';
import { ResultFetcher } from './result-fetcher';

export const STORAGE = 'storage';

/** Validates each provider output and promotes it into the account's part of the bucket. */
@Controller()
export class StorageHandlers {
  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(OBJECT_STORAGE) private readonly objects: ObjectStorage,
    private readonly fetcher: ResultFetcher,
  ) {}

  @OnEvent(STORAGE, eventKey(Category.providerJob, 'ProviderJobSucceeded'))
  async store(@Payload() message: MessageOf<ProviderJobSucceeded>, @Ctx() ctx: EventContext): Promise<void> {
    const { outputs } = message.data;
    for (const output of outputs) {
      await this.storeOutput(message, ctx, output, outputs.length);
    }
  }

  private async storeOutput(
    message: MessageOf<ProviderJobSucceeded>,
    ctx: EventContext,
    output: ProviderOutput,
    outputCount: number,
  ): Promise<void> {
    const { taskId, accountId } = message.data;
    const assetId = assetIdFor(taskId, output.index);
    const stream = assetStream(assetId);
    const base = { assetId, taskId, accountId, index: output.index };
    const record = (command: AssetCommand) => ctx.store.handle(stream, assetDecider, command, causedBy(STORAGE, message, stream));

    const bytes = await this.bytesOf(output);
    if (typeof bytes === 'string') {
      await record({ type: 'RejectAsset', ...base, reason: bytes, now: this.now() });
      return;
    }
    const image = await inspectImage(bytes);
    if (!image.ok) {
      await record({ type: 'RejectAsset', ...base, reason: image.reason, now: this.now() });
      return;
    }
    const key = assetKey(accountId, taskId, output.index, image.contentType);
    await this.objects.putObject(key, bytes, {
      contentType: image.contentType,
      contentLength: image.bytes,
      metadata: { sha256: image.sha256, 'task-id': taskId },
    });
    await record({
      type: 'StoreAsset',
      ...base,
      outputCount,
      key,
      sha256: image.sha256,
      bytes: image.bytes,
      contentType: image.contentType,
      width: image.width,
      height: image.height,
      now: this.now(),
    });
  }

  /** The output's bytes, or why there are none. Transient download trouble throws, so the message is retried. */
  private async bytesOf(output: ProviderOutput): Promise<Buffer | string> {
    if (output.stagingKey) return this.objects.getObjectBytes(output.stagingKey);
    if (!output.url) return 'output has neither staged bytes nor a URL';
    const fetched = await this.fetcher.fetch(output.url);
    if (fetched.ok) return fetched.bytes;
    if (fetched.retryable) throw new Error(fetched.reason);
    return fetched.reason;
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}
