import { Body, Controller, Get, Param, Put, Query, Req, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { DomainError } from '@darkroom/kernel';
import { ApiKeyGuard, type AuthenticatedRequest } from '../http/auth.guards';
import { SetSpendCapDto, SpendCapResource, SpendUsageResource, USAGE_SCOPES, UsageQueryDto } from './spend.dto';
import { SpendService } from './spend.service';

const DEFAULT_LIMIT = 20;

function scopeOf(segment: string) {
  const scope = USAGE_SCOPES[segment];
  if (!scope) throw new DomainError('not_found', 'not_found', `No usage list ${segment}: use keys or users.`);
  return scope;
}

/** Spend caps per API key and per end user, and what each spent this day and month (decision 0028). */
@ApiTags('spend')
@Controller('v1')
@UseGuards(ApiKeyGuard)
export class SpendController {
  constructor(private readonly spend: SpendService) {}

  @Put('spend_caps')
  @ApiOperation({ summary: 'Set or remove (limit null) a daily or monthly cap on one API key or one end user' })
  @ApiOkResponse({ type: SpendCapResource })
  @ApiResponse({ status: 404, description: '`api_key_not_found`: a key cap names a key of another account or none' })
  @ApiResponse({ status: 409, description: '`too_many_spend_caps`: the account holds 1,000 caps' })
  async setCap(@Req() request: AuthenticatedRequest, @Body() body: SetSpendCapDto) {
    return this.spend.setCap(request.accountId, body);
  }

  @Get('usage/:scope')
  @ApiOperation({ summary: "Usage and caps of the account's API keys or end users, this UTC day and month, by id" })
  @ApiParam({ name: 'scope', enum: ['keys', 'users'] })
  @ApiOkResponse({ description: '`{object: "list", data: [spend_usage], has_more, next_after}`' })
  async list(@Req() request: AuthenticatedRequest, @Param('scope') scope: string, @Query() query: UsageQueryDto) {
    return this.spend.list(request.accountId, scopeOf(scope), { limit: query.limit ?? DEFAULT_LIMIT, ...(query.after ? { after: query.after } : {}) });
  }

  @Get('usage/:scope/:id')
  @ApiOperation({ summary: 'Usage and caps of one API key or end user (zero when it spent nothing)' })
  @ApiParam({ name: 'scope', enum: ['keys', 'users'] })
  @ApiOkResponse({ type: SpendUsageResource })
  async one(@Req() request: AuthenticatedRequest, @Param('scope') scope: string, @Param('id') id: string) {
    return this.spend.usage(request.accountId, scopeOf(scope), id);
  }
}
