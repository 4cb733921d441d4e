import { Controller, Get, Inject, Query, Req, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Sql } from '@darkroom/database';
import { SQL } from '@darkroom/runtime';
import { creditBalanceProjection } from '@darkroom/read-model-credit-balances';
import { listLedgerEntries, type LedgerEntryRow } from '@darkroom/read-model-ledger-entries';
import { ApiKeyGuard, type AuthenticatedRequest } from '../http/auth.guards';
import { CreditsQueryDto } from './credits-query.dto';
import { decodeLedgerCursor, encodeLedgerCursor } from './ledger-cursor';

const DEFAULT_LIMIT = 20;

@ApiTags('credits')
@Controller('v1/credits')
@UseGuards(ApiKeyGuard)
export class CreditsController {
  constructor(@Inject(SQL) private readonly sql: Sql) {}

  /**
   * The caller's balance (`credit_balances`) and the newest page of its entries
   * (`ledger_entries`). Both are read models: each may lag the ledger by a poll interval.
   */
  @Get()
  async balance(@Req() request: AuthenticatedRequest, @Query() query: CreditsQueryDto) {
    const [row, entries] = await Promise.all([
      creditBalanceProjection.load(this.sql, request.accountId),
      this.entries(request.accountId, query),
    ]);
    return {
      object: 'credit_balance',
      available: row?.available ?? 0,
      reserved: row?.reserved ?? 0,
      captured: row?.captured ?? 0,
      granted: row?.granted ?? 0,
      entries,
    };
  }

  /** The entry history alone, paginated the same way. */
  @Get('entries')
  async list(@Req() request: AuthenticatedRequest, @Query() query: CreditsQueryDto) {
    return this.entries(request.accountId, query);
  }

  private async entries(accountId: string, query: CreditsQueryDto) {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const beforePosition = query.cursor === undefined ? undefined : decodeLedgerCursor(query.cursor);
    const page = await listLedgerEntries(this.sql, accountId, { limit, ...(beforePosition ? { beforePosition } : {}) });
    const last = page.entries.at(-1);
    return {
      object: 'list',
      data: page.entries.map(toEntryResource),
      has_more: page.hasMore,
      next_cursor: page.hasMore && last ? encodeLedgerCursor(last.globalPosition) : null,
    };
  }
}

function toEntryResource(entry: LedgerEntryRow) {
  return {
    id: entry.id,
    object: 'credit_entry',
    type: entry.type,
    amount: entry.amount,
    task_id: entry.taskId,
    grant_id: entry.grantId,
    reason: entry.reason,
    created_at: entry.createdAt,
  };
}
