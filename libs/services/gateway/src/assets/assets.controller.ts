import { pipeline } from 'node:stream';
import { Controller, Get, Logger, Param, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { ApiKeyGuard, type AuthenticatedRequest } from '../http/auth.guards';
import { AssetsService } from './assets.service';

@Controller('v1/assets')
@UseGuards(ApiKeyGuard)
export class AssetsController {
  private readonly logger = new Logger(AssetsController.name);

  constructor(private readonly assets: AssetsService) {}

  /** Streams the stored bytes; assets are immutable, so they cache forever under their sha256. */
  @Get(':id')
  async download(@Req() request: AuthenticatedRequest, @Param('id') id: string, @Res() response: Response) {
    const asset = await this.assets.find(request.accountId, id);
    const etag = `"${asset.sha256}"`;
    response.setHeader('ETag', etag);
    response.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
    if (request.headers['if-none-match'] === etag) {
      response.status(304).end();
      return;
    }
    const object = await this.assets.open(asset);
    response.status(200).type(asset.contentType).setHeader('Content-Length', String(asset.bytes));
    // pipeline, not pipe: a client that goes away must release the storage connection too.
    pipeline(object.body, response, (error) => {
      if (error) this.logger.warn(`asset ${asset.id} (task ${asset.taskId}): download ended early: ${error.message}`);
    });
  }
}
