import { Inject, Injectable } from '@nestjs/common';
import { creditAccountStream, SpendCaps, type SpendCapChange, type SpendCapState } from '@darkroom/contracts';
import { capKey, creditAccountDecider, usedAt, windowOf } from '@darkroom/domain-ledger';
import type { EventStore } from '@darkroom/event-store';
import { newId, type Clock } from '@darkroom/kernel';
import { CLOCK, EVENT_STORE } from '@darkroom/runtime';

/** Sets and removes caps through the credit account's decider; the same limit again appends nothing. */
@Injectable()
export class SpendCapsService extends SpendCaps {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    super();
  }

  async set({ accountId, scope, id, period, limit }: SpendCapChange): Promise<SpendCapState> {
    const now = this.clock.now().toISOString();
    const result = await this.store.handleSubject(
      creditAccountStream(accountId),
      creditAccountDecider,
      { type: 'SetSpendCap', accountId, scope, id, period, limit, now },
      { metadata: { correlationId: accountId, accountId, schemaVersion: 1 }, eventId: () => newId() },
    );
    const tally = result.state.summary.caps[capKey(scope, period, id)];
    return {
      scope,
      id,
      period,
      limit: tally?.limit ?? null,
      window: windowOf(period, now),
      used: tally ? usedAt(tally, now) : 0,
    };
  }
}
