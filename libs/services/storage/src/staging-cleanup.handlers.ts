import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Category, eventKey, type AssetRejected, type AssetStored } from '@darkroom/contracts';
import { OnEvent } from '@darkroom/messaging';
import type { ObjectStorage } from '@darkroom/object-storage';
import { OBJECT_STORAGE, type MessageOf } from '@darkroom/runtime';
import { STORAGE } from './storage.handlers';

/**
 * Deletes a provider's staged bytes once their output has its outcome recorded: promoted,
 * rejected as not an image, or blocked by moderation. Doing it after the commit (rather than
 * inside the store handler) means a redelivered store never finds its input gone; a delete
 * that fails is retried like any handler, and deleting twice is harmless.
 */
@Controller()
export class StagingCleanupHandlers {
  constructor(@Inject(OBJECT_STORAGE) private readonly objects: ObjectStorage) {}

  @OnEvent(STORAGE, eventKey(Category.asset, 'AssetStored'))
  async afterStored(@Payload() message: MessageOf<AssetStored>): Promise<void> {
    await this.remove(message.data.stagingKey);
  }

  @OnEvent(STORAGE, eventKey(Category.asset, 'AssetRejected'))
  async afterRejected(@Payload() message: MessageOf<AssetRejected>): Promise<void> {
    await this.remove(message.data.stagingKey);
  }

  private async remove(key: string | undefined): Promise<void> {
    if (key) await this.objects.deleteObject(key);
  }
}
