import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  Consumer,
  assetStream,
  Category,
  eventKey,
  FailureCode,
  providerJobStream,
  type AssetEvent,
  type ProviderJobEvent,
  type ProviderJobSucceeded,
  type ProviderOutput,
} from '@darkroom/contracts';
import { assetDecider, type AssetCommand } from '@darkroom/domain-asset';
import type { Clock } from '@darkroom/kernel';
import { OnEvent, type EventContext } from '@darkroom/messaging';
import { ObjectNotFound, type ObjectStorage } from '@darkroom/object-storage';
import { ImageDecoder, MODERATION, type Moderation } from '@darkroom/providers';
import { causedBy, CLOCK, OBJECT_STORAGE, type MessageOf } from '@darkroom/runtime';
import { SafeFetcher } from '@darkroom/safe-fetch';
import { assetIdFor, assetKey } from './asset-keys';
import { inspectImage } from './image-inspection';

export const STORAGE = Consumer.storage;

/**
 * Validates each provider output, runs the image moderation check, and promotes it into
 * the account's part of the bucket. Bucket trouble throws, so the message is retried
 * (`STORAGE_CONSUMER`); an output that is not a keepable image is rejected for good.
 */
@Controller()
export class StorageHandlers {
  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(OBJECT_STORAGE) private readonly objects: ObjectStorage,
    private readonly fetcher: SafeFetcher,
    @Inject(MODERATION) private readonly moderation: Moderation,
    private readonly images: ImageDecoder,
  ) {}

  @OnEvent(STORAGE, eventKey(Category.providerJob, 'ProviderJobSucceeded'))
  async store(@Payload() message: MessageOf<ProviderJobSucceeded>, @Ctx() ctx: EventContext): Promise<void> {
    const { outputs, taskId, attempt } = message.data;
    const provider = outputs.some((output) => !output.stagingKey && output.url) ? await this.providerOf(ctx, taskId, attempt) : undefined;
    for (const output of outputs) {
      await this.storeOutput(message, ctx, output, outputs.length, provider);
    }
  }

  /** The provider that ran this attempt, as its `ProviderJobSubmitted` says: its URLs are checked against its allowlist. */
  private async providerOf(ctx: EventContext, taskId: string, attempt: number): Promise<string | undefined> {
    const events = await ctx.store.readStream<ProviderJobEvent>(providerJobStream(taskId, attempt));
    return events.find((event) => event.type === 'ProviderJobSubmitted')?.data.provider;
  }

  private async storeOutput(
    message: MessageOf<ProviderJobSucceeded>,
    ctx: EventContext,
    output: ProviderOutput,
    outputCount: number,
    provider: string | undefined,
  ): Promise<void> {
    const { taskId, accountId } = message.data;
    const assetId = assetIdFor(taskId, output.index);
    const stream = assetStream(assetId);
    const staged = output.stagingKey ? { stagingKey: output.stagingKey } : {};
    const base = { assetId, taskId, accountId, index: output.index, ...staged };
    const record = (command: AssetCommand) => ctx.store.handle(stream, assetDecider, command, causedBy(STORAGE, message, stream));
    // Never write over an object an earlier delivery (or another success of the task) already recorded.
    if (await this.alreadyDecided(ctx, stream)) return;

    const bytes = await this.bytesOf(output, provider);
    if (typeof bytes === 'string') {
      await record({ type: 'RejectAsset', ...base, reason: bytes, now: this.now() });
      return;
    }
    const image = await inspectImage(bytes, this.images);
    if (!image.ok) {
      await record({ type: 'RejectAsset', ...base, reason: image.reason, now: this.now() });
      return;
    }
    const verdict = await this.moderation.checkImage(bytes, image.contentType);
    if (!verdict.allowed) {
      // The final object is never written; the staged copy goes once the rejection is recorded.
      await record({ type: 'RejectAsset', ...base, code: FailureCode.contentModerated, reason: verdict.reason, now: this.now() });
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

  /**
   * Holds the output's asset stream for this transaction (a concurrent delivery for the
   * same output waits here) and says whether it already has its outcome.
   */
  private async alreadyDecided(ctx: EventContext, stream: string): Promise<boolean> {
    await ctx.tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [stream]);
    const events = await ctx.store.readStream<AssetEvent>(stream);
    return events.reduce(assetDecider.evolve, assetDecider.initialState()).status !== 'initial';
  }

  /** The output's bytes, or why there are none. Transient download or bucket trouble throws, so the message is retried. */
  private async bytesOf(output: ProviderOutput, provider: string | undefined): Promise<Buffer | string> {
    if (output.stagingKey) return this.stagedBytes(output.stagingKey);
    if (!output.url) return 'output has neither staged bytes nor a URL';
    if (!provider) return 'result URL refused (host_not_allowed): no ProviderJobSubmitted names the provider';
    const fetched = await this.fetcher.fetch(output.url, provider);
    if (fetched.ok) return fetched.bytes;
    const { code, message, retryable } = fetched.error;
    if (retryable) throw new Error(`result download failed (${code}): ${message}`);
    return `result URL refused (${code}): ${message}`;
  }

  private async stagedBytes(key: string): Promise<Buffer | string> {
    try {
      return await this.objects.getObjectBytes(key);
    } catch (error) {
      if (error instanceof ObjectNotFound) return 'the staged output is missing';
      throw error;
    }
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}
