import { Controller, HttpCode, Param, Post, Query, Req, type RawBodyRequest } from '@nestjs/common';
import type { Request } from 'express';
import { ProviderCallbacks } from '@darkroom/contracts';

/**
 * `POST /webhooks/providers/{provider}?task=&attempt=`: provider callbacks, handed as
 * received to the provider-adapter's code, which verifies them on the raw body.
 */
@Controller('webhooks/providers')
export class ProviderWebhooksController {
  constructor(private readonly callbacks: ProviderCallbacks) {}

  @Post(':provider')
  @HttpCode(200)
  receive(
    @Param('provider') provider: string,
    @Query() query: { task?: string; attempt?: string },
    @Req() request: RawBodyRequest<Request>,
  ) {
    return this.callbacks.receive({ provider, query, headers: request.headers, rawBody: request.rawBody });
  }
}
