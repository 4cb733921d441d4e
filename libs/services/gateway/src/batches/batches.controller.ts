import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { GATEWAY_OPTIONS, publicBaseUrlOf, type GatewayOptions } from '../gateway.options';
import { ApiKeyGuard, type AuthenticatedRequest } from '../http/auth.guards';
import { requestIdOf } from '../http/request-id';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, parseIdempotencyKey, requestFingerprint } from '../idempotency/idempotency-key';
import { CreateBatchDto } from './batches.dto';
import { BatchesService } from './batches.service';

/** Up to 1,000 generations on one reservation (decision 0029). */
@ApiTags('batches')
@Controller('v1/batches')
@UseGuards(ApiKeyGuard)
export class BatchesController {
  constructor(
    private readonly batches: BatchesService,
    @Inject(GATEWAY_OPTIONS) private readonly options: GatewayOptions,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Create up to 1,000 generations, their whole price reserved at once (all or nothing)' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'The same key replays the same batch; kept 24 h per account.' })
  @ApiResponse({ status: 402, description: '`insufficient_credits` or `spend_cap_reached` for the whole batch: nothing was created' })
  async create(@Req() request: AuthenticatedRequest, @Res({ passthrough: true }) response: Response, @Body() body: CreateBatchDto) {
    const key = parseIdempotencyKey(request.headers[IDEMPOTENCY_KEY_HEADER]);
    const answer = await this.batches.create({
      accountId: request.accountId,
      apiKeyId: request.apiKeyId,
      requestId: requestIdOf(request),
      maxPriority: request.maxPriority,
      body,
      baseUrl: publicBaseUrlOf(this.options),
      ...(key === undefined ? {} : { idempotency: { key, fingerprint: requestFingerprint('POST /v1/batches', request.body) } }),
    });
    if (answer.replayed) response.setHeader(IDEMPOTENT_REPLAYED_HEADER, 'true');
    return answer.body;
  }

  @Get(':id')
  @ApiOperation({ summary: "A batch: counts by status and every item's status, error and assets" })
  @ApiResponse({ status: 404, description: '`batch_not_found`' })
  async get(@Req() request: AuthenticatedRequest, @Param('id') id: string) {
    return this.batches.get(request.accountId, id, publicBaseUrlOf(this.options));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel every item not ended yet; each releases its share of the reservation' })
  @ApiResponse({ status: 404, description: '`batch_not_found`' })
  async cancel(@Req() request: AuthenticatedRequest, @Param('id') id: string) {
    return this.batches.cancel(request.accountId, id, requestIdOf(request), publicBaseUrlOf(this.options));
  }
}
