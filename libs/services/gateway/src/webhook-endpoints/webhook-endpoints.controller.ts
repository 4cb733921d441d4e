import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { WebhookEndpoints } from '@darkroom/contracts';
import { ApiKeyGuard, type AuthenticatedRequest } from '../http/auth.guards';
import { CreateWebhookEndpointDto, ListDeliveriesQuery } from './webhook-endpoint.dto';

/** Outbound webhooks (decision 0011): an account's endpoints, their delivery log, redelivery. */
@ApiTags('webhooks')
@ApiBearerAuth()
@Controller('v1/webhook_endpoints')
@UseGuards(ApiKeyGuard)
export class WebhookEndpointsController {
  constructor(private readonly endpoints: WebhookEndpoints) {}

  /** 201 with the endpoint and its signing secret. */
  @Post()
  @HttpCode(201)
  create(@Req() request: AuthenticatedRequest, @Body() body: CreateWebhookEndpointDto) {
    return this.endpoints.create(request.accountId, body);
  }

  @Get()
  async list(@Req() request: AuthenticatedRequest) {
    return { object: 'list', data: await this.endpoints.list(request.accountId) };
  }

  @Get(':id')
  get(@Req() request: AuthenticatedRequest, @Param('id') id: string) {
    return this.endpoints.get(request.accountId, id);
  }

  /** The signing secret, for the owner to configure its verifier again. */
  @Get(':id/secret')
  async secret(@Req() request: AuthenticatedRequest, @Param('id') id: string) {
    return { object: 'webhook_endpoint_secret', secret: await this.endpoints.secret(request.accountId, id) };
  }

  /** 204; the endpoint's deliveries and their log go with it. */
  @Delete(':id')
  @HttpCode(204)
  async delete(@Req() request: AuthenticatedRequest, @Param('id') id: string): Promise<void> {
    await this.endpoints.delete(request.accountId, id);
  }

  /** Enables a disabled endpoint; its pending deliveries resume. */
  @Post(':id/enable')
  @HttpCode(200)
  enable(@Req() request: AuthenticatedRequest, @Param('id') id: string) {
    return this.endpoints.enable(request.accountId, id);
  }

  @Get(':id/deliveries')
  async deliveries(@Req() request: AuthenticatedRequest, @Param('id') id: string, @Query() query: ListDeliveriesQuery) {
    return { object: 'list', ...(await this.endpoints.deliveriesOf(request.accountId, id, query.limit ?? 20, query.starting_after)) };
  }

  /** 202: the delivery is sent again soon with the same `webhook-id` and body. */
  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(202)
  redeliver(@Req() request: AuthenticatedRequest, @Param('id') id: string, @Param('deliveryId') deliveryId: string) {
    return this.endpoints.redeliver(request.accountId, id, deliveryId);
  }
}
