import { Controller, Get, Inject, Param, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import type { Sql } from '@darkroom/database';
import { DomainError } from '@darkroom/kernel';
import type { ObjectStorage } from '@darkroom/object-storage';
import { OBJECT_STORAGE, SQL } from '@darkroom/runtime';
import { loadAsset } from '@darkroom/service-storage';
import { ApiKeyGuard, type AuthenticatedRequest } from '../http/auth.guards';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Controller('v1/assets')
@UseGuards(ApiKeyGuard)
export class AssetsController {
  constructor(
    @Inject(SQL) private readonly sql: Sql,
    @Inject(OBJECT_STORAGE) private readonly objects: ObjectStorage,
  ) {}

  /** Streams the stored bytes; assets are immutable, so they cache forever under their sha256. */
  @Get(':id')
  async download(@Req() request: AuthenticatedRequest, @Param('id') id: string, @Res() response: Response) {
    const asset = UUID.test(id) ? await loadAsset(this.sql, id) : undefined;
    if (!asset || asset.accountId !== request.accountId) {
      throw new DomainError('asset_not_found', 'not_found', `No asset ${id}.`);
    }
    if (asset.deletedAt) throw new DomainError('asset_expired', 'not_found', `Asset ${id} has passed its retention.`);
    const etag = `"${asset.sha256}"`;
    response.setHeader('ETag', etag);
    response.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
    if (request.headers['if-none-match'] === etag) {
      response.status(304).end();
      return;
    }
    const object = await this.objects.getObject(asset.key);
    response.status(200).type(asset.contentType).setHeader('Content-Length', String(asset.bytes));
    object.body.pipe(response);
  }
}
