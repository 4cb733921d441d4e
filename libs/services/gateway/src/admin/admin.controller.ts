import { Body, Controller, Headers, HttpCode, Inject, Param, Patch, Post, UseGuards } from '@nestjs/common';
import { Type } from 'class-transformer';
import {
  IsDefined,
  IsInt,
  IsNumber,
  IsOptional,
  IsPositive,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { creditAccountStream } from '@darkroom/contracts';
import { availableCredits, creditAccountDecider } from '@darkroom/domain-ledger';
import type { EventStore } from '@darkroom/event-store';
import { deriveId, DomainError, newId, type Clock } from '@darkroom/kernel';
import { CLOCK, EVENT_STORE } from '@darkroom/runtime';
import { AccountsRepository } from '../accounts/accounts.repository';
import { AdminGuard } from '../http/auth.guards';
import { isUuid } from '../http/ids';

export class CreateAccountDto {
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;
}

export class GrantCreditsDto {
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  amount!: number;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class UpdateAccountDto {
  /**
   * Days this account's assets are kept before the retention job deletes them; fractions
   * allowed (1/86400 is one second). null returns the account to ASSET_RETENTION_DAYS.
   */
  @IsDefined()
  @ValidateIf((_, value) => value !== null)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @IsPositive()
  @Max(36_500)
  retention_days!: number | null;
}

@Controller('admin')
@UseGuards(AdminGuard)
export class AdminController {
  constructor(
    private readonly accounts: AccountsRepository,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Creates an account with its first API key; the key is in this response only. */
  @Post('accounts')
  @HttpCode(201)
  async createAccount(@Body() body: CreateAccountDto) {
    const accountId = await this.accounts.createAccount(body.name);
    const issued = await this.accounts.issueKey(accountId);
    return { id: accountId, object: 'account', name: body.name, api_key: issued.key, api_key_prefix: issued.prefix };
  }

  /** Changes an account's settings: its asset retention. */
  @Patch('accounts/:id')
  async updateAccount(@Param('id') accountId: string, @Body() body: UpdateAccountDto) {
    const account = isUuid(accountId) ? await this.accounts.setRetentionDays(accountId, body.retention_days) : undefined;
    if (!account) throw new DomainError('account_not_found', 'not_found', `No account ${accountId}.`);
    return { id: account.id, object: 'account', name: account.name, retention_days: account.retentionDays };
  }

  /** Grants credits; with an `Idempotency-Key` a retried grant is applied once. */
  @Post('accounts/:id/credits')
  @HttpCode(201)
  async grant(@Param('id') accountId: string, @Body() body: GrantCreditsDto, @Headers('idempotency-key') key?: string) {
    if (!isUuid(accountId) || !(await this.accounts.exists(accountId))) {
      throw new DomainError('account_not_found', 'not_found', `No account ${accountId}.`);
    }
    const grantId = key ? deriveId('grant', accountId, key) : newId();
    const stream = creditAccountStream(accountId);
    const result = await this.store.handle(
      stream,
      creditAccountDecider,
      {
        type: 'GrantCredits',
        accountId,
        grantId,
        amount: body.amount,
        reason: body.reason ?? 'admin grant',
        now: this.clock.now().toISOString(),
      },
      {
        metadata: { correlationId: grantId, accountId, schemaVersion: 1 },
        eventId: (index) => deriveId(grantId, index),
      },
    );
    return { object: 'credit_grant', id: grantId, account_id: accountId, amount: body.amount, available: availableCredits(result.state) };
  }
}
