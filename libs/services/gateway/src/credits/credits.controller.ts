import { Controller, Get, Inject, Req, UseGuards } from '@nestjs/common';
import type { Sql } from '@darkroom/database';
import { SQL } from '@darkroom/runtime';
import { creditBalanceProjection } from '@darkroom/service-ledger';
import { ApiKeyGuard, type AuthenticatedRequest } from '../http/auth.guards';

@Controller('v1/credits')
@UseGuards(ApiKeyGuard)
export class CreditsController {
  constructor(@Inject(SQL) private readonly sql: Sql) {}

  /** The caller's balance from the `credit_balances` read model. */
  @Get()
  async balance(@Req() request: AuthenticatedRequest) {
    const row = await creditBalanceProjection.load(this.sql, request.accountId);
    return {
      object: 'credit_balance',
      available: row?.available ?? 0,
      reserved: row?.reserved ?? 0,
      captured: row?.captured ?? 0,
      granted: row?.granted ?? 0,
    };
  }
}
