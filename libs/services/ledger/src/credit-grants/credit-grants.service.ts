import { Inject, Injectable } from '@nestjs/common';
import { creditAccountStream, CreditGrants, type CreditGrant, type CreditGrantReceipt } from '@darkroom/contracts';
import { availableCredits, creditAccountDecider } from '@darkroom/domain-ledger';
import type { EventStore } from '@darkroom/event-store';
import { deriveId, type Clock } from '@darkroom/kernel';
import { CLOCK, EVENT_STORE } from '@darkroom/runtime';

/** Grants through the credit account's decider; the grant id makes a repeat a no-op. */
@Injectable()
export class CreditGrantsService extends CreditGrants {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    super();
  }

  async grant({ grantId, accountId, amount, reason }: CreditGrant): Promise<CreditGrantReceipt> {
    const result = await this.store.handleSubject(
      creditAccountStream(accountId),
      creditAccountDecider,
      { type: 'GrantCredits', accountId, grantId, amount, reason, now: this.clock.now().toISOString() },
      { metadata: { correlationId: grantId, accountId, schemaVersion: 1 }, eventId: (index) => deriveId(grantId, index) },
    );
    return { grantId, available: availableCredits(result.state.summary) };
  }
}
