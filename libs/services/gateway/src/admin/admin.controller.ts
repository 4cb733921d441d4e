import { Body, Controller, Delete, Get, Headers, HttpCode, Inject, Param, Patch, Post, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CreditGrants } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import { deriveId, DomainError, newId } from '@darkroom/kernel';
import { SQL } from '@darkroom/runtime';
import { creditBalanceProjection } from '@darkroom/read-model-credit-balances';
import { toAccountResource, toAccountSettings, toApiKeyResource } from '../accounts/account.resource';
import { AccountsRepository } from '../accounts/accounts.repository';
import { AdminGuard } from '../http/auth.guards';
import { isUuid } from '../http/ids';
import { SetSpendCapDto, SpendCapResource } from '../spend/spend.dto';
import { SpendService } from '../spend/spend.service';
import { CreateAccountDto, GrantCreditsDto, IssueApiKeyDto, UpdateAccountDto } from './admin.dto';

export { CreateAccountDto, GrantCreditsDto, IssueApiKeyDto, UpdateAccountDto } from './admin.dto';

const accountNotFound = (accountId: string) => new DomainError('account_not_found', 'not_found', `No account ${accountId}.`);

/** Accounts, their API keys and credit grants; the admin key only (an API key here is a 401). */
@ApiTags('admin')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Not the admin key (`unauthorized`).' })
@Controller('admin')
@UseGuards(AdminGuard)
export class AdminController {
  constructor(
    private readonly accounts: AccountsRepository,
    private readonly credits: CreditGrants,
    @Inject(SQL) private readonly sql: Sql,
    private readonly spend: SpendService,
  ) {}

  /** Creates an account with its first API key; the key is in this response only. */
  @Post('accounts')
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an account and its first API key (shown in this response only)' })
  async createAccount(@Body() body: CreateAccountDto) {
    const accountId = await this.accounts.createAccount(body.name);
    const issued = await this.accounts.issueKey(accountId);
    return {
      id: accountId,
      object: 'account',
      name: body.name,
      api_key: issued.key,
      api_key_id: issued.keyId,
      api_key_prefix: issued.prefix,
    };
  }

  @Get('accounts/:id')
  @ApiOperation({ summary: 'Look up an account: settings, key count and credit balance' })
  @ApiResponse({ status: 404, description: '`account_not_found`' })
  async getAccount(@Param('id') accountId: string) {
    const account = isUuid(accountId) ? await this.accounts.find(accountId) : undefined;
    if (!account) throw accountNotFound(accountId);
    const balance = await creditBalanceProjection.load(this.sql, account.id);
    return toAccountResource(account, {
      available: balance?.available ?? 0,
      reserved: balance?.reserved ?? 0,
      captured: balance?.captured ?? 0,
      granted: balance?.granted ?? 0,
    });
  }

  /** Changes an account's settings: asset retention, scheduling weight, highest priority. */
  @Patch('accounts/:id')
  @ApiOperation({ summary: "Change an account's asset retention, scheduling weight or highest priority" })
  @ApiResponse({ status: 400, description: '`invalid_request` (also for a body that changes nothing)' })
  @ApiResponse({ status: 404, description: '`account_not_found`' })
  async updateAccount(@Param('id') accountId: string, @Body() body: UpdateAccountDto) {
    const changes = {
      ...(body.retention_days === undefined ? {} : { retentionDays: body.retention_days }),
      ...(body.scheduling_weight === undefined ? {} : { weight: body.scheduling_weight }),
      ...(body.max_priority === undefined ? {} : { maxPriority: body.max_priority }),
    };
    if (Object.keys(changes).length === 0) {
      throw new DomainError('invalid_request', 'validation', 'Send at least one setting to change.', {
        errors: [{ field: 'retention_days', message: 'give retention_days, scheduling_weight or max_priority' }],
      });
    }
    const account = isUuid(accountId) ? await this.accounts.update(accountId, changes) : undefined;
    if (!account) throw accountNotFound(accountId);
    return toAccountSettings(account);
  }

  /** Issues another key; the key itself is in this response only. */
  @Post('accounts/:id/api_keys')
  @HttpCode(201)
  @ApiOperation({ summary: 'Issue another API key (the key is shown in this response only)' })
  @ApiResponse({ status: 404, description: '`account_not_found`' })
  async issueKey(@Param('id') accountId: string, @Body() body: IssueApiKeyDto) {
    await this.requireAccount(accountId);
    const issued = await this.accounts.issueKey(accountId, body?.name ?? null);
    return { ...toApiKeyResource(issued.record), key: issued.key };
  }

  @Get('accounts/:id/api_keys')
  @ApiOperation({ summary: "List an account's keys (prefix, name, dates; never the key)" })
  @ApiResponse({ status: 404, description: '`account_not_found`' })
  async listKeys(@Param('id') accountId: string) {
    await this.requireAccount(accountId);
    return { object: 'list', data: (await this.accounts.listKeys(accountId)).map(toApiKeyResource) };
  }

  /** Revokes a key: every request with it is a 401 from now on. Revoking twice is harmless. */
  @Delete('accounts/:id/api_keys/:keyId')
  @ApiOperation({ summary: 'Revoke an API key (refused with 401 from the next request on)' })
  @ApiResponse({ status: 404, description: '`account_not_found` or `api_key_not_found`' })
  async revokeKey(@Param('id') accountId: string, @Param('keyId') keyId: string) {
    await this.requireAccount(accountId);
    const revoked = isUuid(keyId) ? await this.accounts.revokeKey(accountId, keyId) : undefined;
    if (!revoked) throw new DomainError('api_key_not_found', 'not_found', `Account ${accountId} has no API key ${keyId}.`);
    return toApiKeyResource(revoked);
  }

  /** Grants credits; with an `Idempotency-Key` a retried grant is applied once. */
  @Post('accounts/:id/credits')
  @HttpCode(201)
  @ApiOperation({ summary: 'Grant credits (an Idempotency-Key makes a retry apply once)' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'The same key grants once.' })
  @ApiResponse({ status: 404, description: '`account_not_found`' })
  async grant(@Param('id') accountId: string, @Body() body: GrantCreditsDto, @Headers('idempotency-key') key?: string) {
    await this.requireAccount(accountId);
    const grantId = key ? deriveId('grant', accountId, key) : newId();
    const { available } = await this.credits.grant({ grantId, accountId, amount: body.amount, reason: body.reason ?? 'admin grant' });
    return { object: 'credit_grant', id: grantId, account_id: accountId, amount: body.amount, available };
  }

  @Put('accounts/:id/spend_caps')
  @ApiOperation({ summary: "Set or remove (limit null) a cap on one of the account's API keys or end users" })
  @ApiOkResponse({ type: SpendCapResource })
  @ApiResponse({ status: 404, description: '`account_not_found`, `api_key_not_found`' })
  @ApiResponse({ status: 409, description: '`too_many_spend_caps`' })
  async setSpendCap(@Param('id') accountId: string, @Body() body: SetSpendCapDto) {
    await this.requireAccount(accountId);
    return this.spend.setCap(accountId, body);
  }

  private async requireAccount(accountId: string): Promise<void> {
    if (!isUuid(accountId) || !(await this.accounts.exists(accountId))) throw accountNotFound(accountId);
  }
}
