import { Inject, Injectable } from '@nestjs/common';
import type { Spender, SpendCapPeriod, SpendCapScope } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import { DomainError, type Clock } from '@darkroom/kernel';
import { CLOCK, SQL } from '@darkroom/runtime';
import { loadSpendUsage, usageAt, type SpendUsageRow } from '@darkroom/read-model-spend-usage';

/**
 * The fast 402 for spend caps, from the usage read models: a request clearly over a cap is
 * refused before anything is appended. The ledger's reservation stays the real check (decision
 * 0028): a request that passes here and loses a race fails with `spend_cap_reached`.
 */
@Injectable()
export class SpendCapChecks {
  constructor(
    @Inject(SQL) private readonly sql: Sql,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async assertWithinCaps(accountId: string, spender: Spender | undefined, price: number): Promise<void> {
    if (!spender) return;
    const now = this.clock.now().toISOString();
    const rows = await Promise.all([
      spender.keyId === undefined ? [] : loadSpendUsage(this.sql, 'key', accountId, [spender.keyId]),
      spender.user === undefined ? [] : loadSpendUsage(this.sql, 'user', accountId, [spender.user]),
    ]);
    for (const row of rows.flat()) {
      const used = usageAt(row, now);
      for (const period of ['day', 'month'] as const) {
        const limit = period === 'day' ? row.dayLimit : row.monthLimit;
        if (limit !== null && used[period] + price > limit) throw capReached(row, period, limit, used[period], price);
      }
    }
  }
}

function capReached(row: SpendUsageRow, period: SpendCapPeriod, limit: number, used: number, price: number): DomainError {
  const scope: SpendCapScope = row.scope;
  const label = scope === 'key' ? `API key ${row.subjectId}` : `end user ${row.subjectId}`;
  return new DomainError(
    'spend_cap_reached',
    'payment_required',
    `This request costs ${price} credits; ${label} has used ${used} of its ${period === 'day' ? 'daily' : 'monthly'} cap of ${limit}.`,
    { scope, id: row.subjectId, period, limit, used, price },
  );
}
