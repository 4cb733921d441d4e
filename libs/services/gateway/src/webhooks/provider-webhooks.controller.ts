import { Controller, HttpCode, Param, Post, Query, Req, type RawBodyRequest } from '@nestjs/common';
import type { Request } from 'express';
import { ProviderWebhooksService } from './provider-webhooks.service';

/** `POST /webhooks/providers/{provider}?task=&attempt=`: provider callbacks, verified on the raw body. */
@Controller('webhooks/providers')
export class ProviderWebhooksController {
  constructor(private readonly webhooks: ProviderWebhooksService) {}

  @Post(':provider')
  @HttpCode(200)
  receive(
    @Param('provider') provider: string,
    @Query() query: { task?: string; attempt?: string },
    @Req() request: RawBodyRequest<Request>,
  ) {
    return this.webhooks.receive(provider, query, request.headers, request.rawBody);
  }
}
