import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, type AuthenticatedRequest } from '../http/auth.guards';
import { ScopedTokensService } from './scoped-tokens.service';
import { CreateTokenDto } from './tokens.dto';

/** Scoped tokens for browsers (decision 0027): issued with an API key only, never with a token. */
@ApiTags('tokens')
@ApiBearerAuth()
@Controller('v1/tokens')
@UseGuards(ApiKeyGuard)
export class TokensController {
  constructor(private readonly tokens: ScopedTokensService) {}

  /** 201 with the token: it creates generations within its scope and reads only its own tasks and their assets. */
  @Post()
  @HttpCode(201)
  create(@Req() request: AuthenticatedRequest, @Body() body: CreateTokenDto) {
    return this.tokens.issue(request.accountId, request.apiKeyId, {
      endUserId: body.end_user_id,
      expiresInSeconds: body.expires_in ?? 900,
      ...(body.models ? { models: body.models } : {}),
      ...(body.max_price === undefined ? {} : { maxPrice: body.max_price }),
      ...(body.task_id === undefined ? {} : { taskId: body.task_id }),
    });
  }
}
