import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  Category,
  creditAccountStream,
  eventKey,
  type GenerationCanceled,
  type GenerationCompleted,
  type GenerationCreated,
  type GenerationFailed,
} from '@darkroom/contracts';
import { creditAccountDecider, type CreditAccountCommand } from '@darkroom/domain-ledger';
import type { Clock } from '@darkroom/kernel';
import { OnEvent, type ConsumerOptions, type EventContext, type EventMessage } from '@darkroom/messaging';
import { causedBy, CLOCK, type MessageOf } from '@darkroom/runtime';

export const LEDGER = 'ledger';

/**
 * The ledger's deliveries: every command on an account queues on its stream's lock, so an
 * account's messages are committed together (one lock hand-over and one commit per batch):
 * one busy account settles as fast as many quiet ones.
 */
export const LEDGER_CONSUMER: ConsumerOptions = {
  groupBy: (message) => {
    // Before any handler: the data is probed for the account (checked below), not trusted.
    const data = message.data as { accountId?: unknown; request?: { accountId?: unknown } } | null;
    const accountId = data?.accountId ?? data?.request?.accountId;
    return typeof accountId === 'string' ? accountId : undefined;
  },
};

/** Two-phase credits: reserve when a task is created, capture on completion, release otherwise. */
@Controller()
export class LedgerHandlers {
  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  @OnEvent(LEDGER, eventKey(Category.generation, 'GenerationCreated'))
  async reserve(@Payload() message: MessageOf<GenerationCreated>, @Ctx() ctx: EventContext): Promise<void> {
    const { taskId, request, price, spender } = message.data;
    await this.run(ctx, message, request.accountId, {
      type: 'ReserveCredits',
      accountId: request.accountId,
      reservationId: taskId,
      amount: price,
      ...(spender ? { spender } : {}),
      now: this.clock.now().toISOString(),
    });
  }

  @OnEvent(LEDGER, eventKey(Category.generation, 'GenerationCompleted'))
  async capture(@Payload() message: MessageOf<GenerationCompleted>, @Ctx() ctx: EventContext): Promise<void> {
    const { taskId, accountId } = message.data;
    await this.run(ctx, message, accountId, {
      type: 'CaptureCredits',
      accountId,
      reservationId: taskId,
      now: this.clock.now().toISOString(),
    });
  }

  @OnEvent(LEDGER, eventKey(Category.generation, 'GenerationFailed'))
  async releaseOnFailure(@Payload() message: MessageOf<GenerationFailed>, @Ctx() ctx: EventContext): Promise<void> {
    await this.release(message, ctx, 'generation_failed');
  }

  @OnEvent(LEDGER, eventKey(Category.generation, 'GenerationCanceled'))
  async releaseOnCancel(@Payload() message: MessageOf<GenerationCanceled>, @Ctx() ctx: EventContext): Promise<void> {
    await this.release(message, ctx, 'generation_canceled');
  }

  private async release(
    message: EventMessage & { data: { taskId: string; accountId: string } },
    ctx: EventContext,
    reason: 'generation_failed' | 'generation_canceled',
  ) {
    const { taskId, accountId } = message.data;
    await this.run(ctx, message, accountId, {
      type: 'ReleaseCredits',
      accountId,
      reservationId: taskId,
      reason,
      now: this.clock.now().toISOString(),
    });
  }

  private async run(ctx: EventContext, message: EventMessage, accountId: string, command: CreditAccountCommand) {
    const stream = creditAccountStream(accountId);
    await ctx.store.handleSubject(stream, creditAccountDecider, command, causedBy(LEDGER, message, stream));
  }
}
