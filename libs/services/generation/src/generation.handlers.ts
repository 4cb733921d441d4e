import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  Category,
  eventKey,
  FailureCode,
  generationStream,
  type AssetRejected,
  type AssetStored,
  type CreditsReservationRejected,
  type CreditsReserved,
  type ProviderJobFailed,
  type ProviderJobSubmitted,
} from '@darkroom/contracts';
import { generationDecider, type GenerationCommand } from '@darkroom/domain-generation';
import type { Clock, Untimed } from '@darkroom/kernel';
import { OnEvent, type EventContext, type EventMessage } from '@darkroom/messaging';
import { causedBy, CLOCK, type MessageOf } from '@darkroom/runtime';

export const GENERATION = 'generation';

/** Moves a task through its lifecycle as ledger, provider and storage events arrive. */
@Controller()
export class GenerationHandlers {
  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  @OnEvent(GENERATION, eventKey(Category.creditAccount, 'CreditsReserved'))
  async queue(@Payload() message: MessageOf<CreditsReserved>, @Ctx() ctx: EventContext): Promise<void> {
    await this.run(ctx, message, message.data.reservationId, { type: 'QueueGeneration' });
  }

  @OnEvent(GENERATION, eventKey(Category.creditAccount, 'CreditsReservationRejected'))
  async failForCredits(@Payload() message: MessageOf<CreditsReservationRejected>, @Ctx() ctx: EventContext) {
    const { reservationId, amount, available } = message.data;
    await this.run(ctx, message, reservationId, {
      type: 'FailGeneration',
      code: FailureCode.insufficientCredits,
      message: `This task costs ${amount} credits and ${available} are available.`,
    });
  }

  @OnEvent(GENERATION, eventKey(Category.providerJob, 'ProviderJobSubmitted'))
  async markProcessing(@Payload() message: MessageOf<ProviderJobSubmitted>, @Ctx() ctx: EventContext) {
    const { taskId, attempt, provider, providerJobId } = message.data;
    await this.run(ctx, message, taskId, { type: 'StartProcessing', attempt, provider, providerJobId });
  }

  @OnEvent(GENERATION, eventKey(Category.providerJob, 'ProviderJobFailed'))
  async failForProvider(@Payload() message: MessageOf<ProviderJobFailed>, @Ctx() ctx: EventContext) {
    const { taskId, code, detail } = message.data;
    await this.run(ctx, message, taskId, {
      type: 'FailGeneration',
      code,
      message: 'The provider could not generate this image.',
      providerDetail: detail,
    });
  }

  @OnEvent(GENERATION, eventKey(Category.asset, 'AssetStored'))
  async recordOutput(@Payload() message: MessageOf<AssetStored>, @Ctx() ctx: EventContext) {
    const { taskId, assetId, index, outputCount } = message.data;
    await this.run(ctx, message, taskId, { type: 'RecordOutputStored', assetId, index, outputCount });
  }

  @OnEvent(GENERATION, eventKey(Category.asset, 'AssetRejected'))
  async failForStorage(@Payload() message: MessageOf<AssetRejected>, @Ctx() ctx: EventContext) {
    const { taskId, reason } = message.data;
    await this.run(ctx, message, taskId, {
      type: 'FailGeneration',
      code: FailureCode.storageError,
      message: `An output could not be stored: ${reason}`,
    });
  }

  private async run(ctx: EventContext, message: EventMessage, taskId: string, body: Untimed<GenerationCommand>) {
    const stream = generationStream(taskId);
    const command = { ...body, now: this.clock.now().toISOString() } as GenerationCommand;
    await ctx.store.handle(stream, generationDecider, command, causedBy(GENERATION, message, stream));
  }
}
