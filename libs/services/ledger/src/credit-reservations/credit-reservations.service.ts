import { Inject, Injectable } from '@nestjs/common';
import { creditAccountStream, CreditReservations, type BatchReservation, type BatchReservationOutcome } from '@darkroom/contracts';
import { creditAccountDecider } from '@darkroom/domain-ledger';
import type { EventStore } from '@darkroom/event-store';
import { deriveId, type Clock } from '@darkroom/kernel';
import { CLOCK, EVENT_STORE } from '@darkroom/runtime';

/** A batch's price through the credit account's decider, in one decision; the batch id makes a repeat a no-op. */
@Injectable()
export class CreditReservationsService extends CreditReservations {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    super();
  }

  async reserveBatch({ accountId, batchId, items, spender }: BatchReservation): Promise<BatchReservationOutcome> {
    const result = await this.store.handleSubject(
      creditAccountStream(accountId),
      creditAccountDecider,
      { type: 'ReserveBatch', accountId, batchId, items, ...(spender ? { spender } : {}), now: this.clock.now().toISOString() },
      { metadata: { correlationId: batchId, accountId, schemaVersion: 1 }, eventId: (index) => deriveId(batchId, 'reserve', index) },
    );
    const batch = result.state.subject.batch;
    if (!batch) throw new Error(`Batch ${batchId} was not decided`);
    if (batch.status === 'reserved') return { kind: 'reserved', amount: batch.amount };
    const { reason, available, cap } = batch.rejection ?? { reason: 'insufficient_credits' as const, available: 0 };
    return { kind: 'rejected', reason, amount: batch.amount, available, ...(cap ? { cap } : {}) };
  }
}
