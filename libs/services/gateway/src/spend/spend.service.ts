import { Inject, Injectable } from '@nestjs/common';
import { SpendCaps, type SpendCapScope, type SpendCapState } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import { DomainError, type Clock } from '@darkroom/kernel';
import { CLOCK, SQL } from '@darkroom/runtime';
import { listSpendUsage, loadSpendUsage, usageAt, type SpendUsageRow } from '@darkroom/read-model-spend-usage';
import { windowOf } from '@darkroom/domain-ledger';
import { AccountsRepository } from '../accounts/accounts.repository';
import type { SetSpendCapDto } from './spend.dto';

/** Caps go to the ledger through its port; usage is read from the usage read models (which may lag it a moment). */
@Injectable()
export class SpendService {
  constructor(
    @Inject(SQL) private readonly sql: Sql,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly caps: SpendCaps,
    private readonly accounts: AccountsRepository,
  ) {}

  /** A key cap names one of the account's own keys; another id is a 404 like any foreign id. */
  async setCap(accountId: string, body: SetSpendCapDto) {
    if (body.scope === 'key' && !(await this.accounts.listKeys(accountId)).some((key) => key.id === body.id)) {
      throw new DomainError('api_key_not_found', 'not_found', `No API key ${body.id} on this account.`, { field: 'id' });
    }
    return toCapResource(await this.caps.set({ accountId, scope: body.scope, id: body.id, period: body.period, limit: body.limit }));
  }

  async usage(accountId: string, scope: SpendCapScope, id: string) {
    const [row] = await loadSpendUsage(this.sql, scope, accountId, [id]);
    return this.toUsageResource(scope, id, row);
  }

  async list(accountId: string, scope: SpendCapScope, page: { limit: number; after?: string }) {
    const rows = await listSpendUsage(this.sql, scope, accountId, { limit: page.limit + 1, ...(page.after ? { after: page.after } : {}) });
    const shown = rows.slice(0, page.limit);
    const hasMore = rows.length > page.limit;
    return {
      object: 'list',
      data: shown.map((row) => this.toUsageResource(scope, row.subjectId, row)),
      has_more: hasMore,
      next_after: hasMore ? (shown.at(-1)?.subjectId ?? null) : null,
    };
  }

  private toUsageResource(scope: SpendCapScope, id: string, row: SpendUsageRow | undefined) {
    const now = this.clock.now().toISOString();
    const used = usageAt(row, now);
    return {
      object: 'spend_usage',
      scope,
      id,
      day: { window: windowOf('day', now), credits: used.day, cap: row?.dayLimit ?? null },
      month: { window: windowOf('month', now), credits: used.month, cap: row?.monthLimit ?? null },
    };
  }
}

function toCapResource(state: SpendCapState) {
  return { object: 'spend_cap', ...state };
}
