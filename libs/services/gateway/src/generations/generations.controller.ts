import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { GATEWAY_OPTIONS, publicBaseUrlOf, type GatewayOptions } from '../gateway.options';
import { ApiKeyGuard, type AuthenticatedRequest } from '../http/auth.guards';
import { requestIdOf } from '../http/request-id';
import {
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENT_REPLAYED_HEADER,
  parseIdempotencyKey,
  requestFingerprint,
} from '../idempotency/idempotency-key';
import { CreateGenerationDto } from './create-generation.dto';
import { GenerationsService } from './generations.service';
import { toTaskResource } from '@darkroom/read-model-generations';
import { TokenAccess } from '../tokens/token-access';

const CREATE_ROUTE = 'POST /v1/generations';

@ApiTags('generations')
@Controller('v1/generations')
@UseGuards(ApiKeyGuard)
export class GenerationsController {
  constructor(
    private readonly generations: GenerationsService,
    @Inject(GATEWAY_OPTIONS) private readonly options: GatewayOptions,
  ) {}

  /**
   * 202 with the task. With an `Idempotency-Key`, a repeat of the same body gets the first
   * response again (`Idempotent-Replayed: true`); see decision 0012 for the other answers.
   */
  @Post()
  @HttpCode(202)
  @TokenAccess('create')
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Up to 255 visible ASCII characters; kept 24 h per account.' })
  async create(
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) response: Response,
    @Body() body: CreateGenerationDto,
  ) {
    const { accountId } = request;
    const baseUrl = publicBaseUrlOf(this.options);
    const given = parseIdempotencyKey(request.headers[IDEMPOTENCY_KEY_HEADER]);
    // A scoped token's keys are its own: it can neither replay nor block the account's requests.
    const key = given !== undefined && request.token ? `token:${request.token.id}:${given}` : given;
    const creation = await this.generations.create({
      accountId,
      apiKeyId: request.apiKeyId,
      requestId: requestIdOf(request),
      maxPriority: request.maxPriority,
      body,
      ...(request.token ? { token: request.token } : {}),
      idempotency: key === undefined ? undefined : {
        key,
        fingerprint: requestFingerprint(CREATE_ROUTE, request.body),
        respond: (row) => ({ status: 202, body: toTaskResource(row, baseUrl) }),
      },
    });
    if (creation.kind === 'created') return toTaskResource(creation.row, baseUrl);
    response.setHeader(IDEMPOTENT_REPLAYED_HEADER, 'true');
    if (creation.kind === 'replay') return creation.body;
    return toTaskResource(await this.generations.get(accountId, creation.taskId), baseUrl);
  }

  /** 200 with the canceled task; a finished one is a 409 `generation_not_cancelable`. */
  @Post(':id/cancel')
  @HttpCode(200)
  async cancel(@Req() request: AuthenticatedRequest, @Param('id') id: string) {
    return toTaskResource(await this.generations.cancel(request.accountId, id, requestIdOf(request)), publicBaseUrlOf(this.options));
  }

  @Get(':id')
  @TokenAccess('task')
  async get(@Req() request: AuthenticatedRequest, @Param('id') id: string) {
    return toTaskResource(await this.generations.get(request.accountId, id), publicBaseUrlOf(this.options));
  }
}
