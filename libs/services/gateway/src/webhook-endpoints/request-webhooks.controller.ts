import { Controller, Get, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { WebhookEndpoints } from '@darkroom/contracts';
import { ApiKeyGuard, type AuthenticatedRequest } from '../http/auth.guards';
import { ListDeliveriesQuery } from './webhook-endpoint.dto';

/** Per-request webhooks (`webhook` on `POST /v1/generations`, decision 0026): their secret and delivery log. */
@ApiTags('webhooks')
@ApiBearerAuth()
@Controller('v1/webhooks/default')
@UseGuards(ApiKeyGuard)
export class RequestWebhooksController {
  constructor(private readonly endpoints: WebhookEndpoints) {}

  /** The account's default secret, which signs every per-request webhook (made on first use). */
  @Get('secret')
  async secret(@Req() request: AuthenticatedRequest) {
    return { object: 'webhook_secret', secret: await this.endpoints.defaultSecret(request.accountId) };
  }

  /** Deliveries to per-request webhooks, newest first, with their attempts. */
  @Get('deliveries')
  async deliveries(@Req() request: AuthenticatedRequest, @Query() query: ListDeliveriesQuery) {
    return { object: 'list', ...(await this.endpoints.requestDeliveries(request.accountId, query.limit ?? 20, query.starting_after)) };
  }
}
