import { pipeline } from 'node:stream';
import { Controller, Get, Logger, Param, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { ApiKeyGuard, type AuthenticatedRequest } from '../http/auth.guards';
import { assetCacheControl, assetEtag, etagMatches } from './asset-delivery';
import { AssetsService } from './assets.service';

type Asset = Awaited<ReturnType<AssetsService['find']>>;

/** How `/content` always serves: the bytes, private to the caller. */
const PROXIED = { mode: 'proxy' } as const;

@Controller('v1/assets')
@UseGuards(ApiKeyGuard)
export class AssetsController {
  private readonly logger = new Logger(AssetsController.name);

  constructor(private readonly assets: AssetsService) {}

  /**
   * Ownership first (another account's asset is a 404 `asset_not_found`), then a 302 to a
   * short-lived presigned URL or the CDN's stable URL, or the bytes themselves when proxying.
   * `ETag` is the sha256: `If-None-Match` with it is a 304.
   */
  @Get(':id')
  async download(@Req() request: AuthenticatedRequest, @Param('id') id: string, @Res() response: Response) {
    const asset = await this.assets.find(request.accountId, id);
    const location = await this.assets.location(asset);
    if (this.notModified(request, response, asset, assetCacheControl(this.assets.serving), location)) return;
    if (location) {
      response.status(302).end();
      return;
    }
    await this.stream(asset, response);
  }

  /**
   * The bytes themselves, from the gateway, whatever ASSET_DELIVERY says: for browsers on the
   * gateway's own origin (the Studio) that cannot follow a redirect to a bucket without CORS.
   */
  @Get(':id/content')
  async content(@Req() request: AuthenticatedRequest, @Param('id') id: string, @Res() response: Response) {
    const asset = await this.assets.find(request.accountId, id);
    if (this.notModified(request, response, asset, assetCacheControl(PROXIED))) return;
    await this.stream(asset, response);
  }

  /** Sets the headers every answer carries; answers 304 (true) when the caller's copy is current. */
  private notModified(request: AuthenticatedRequest, response: Response, asset: Asset, cacheControl: string, location?: string): boolean {
    const etag = assetEtag(asset.sha256);
    response.setHeader('ETag', etag);
    response.setHeader('Cache-Control', cacheControl);
    // The answer depends on the caller's key: a shared cache must not hand one account's redirect to another.
    response.setHeader('Vary', 'Authorization');
    // On a 304 too: a cache revalidating a stored redirect takes the fresh Location with it,
    // instead of reusing a presigned URL that has since expired.
    if (location) response.setHeader('Location', location);
    if (!etagMatches(request.headers['if-none-match'], etag)) return false;
    response.status(304).end();
    return true;
  }

  private async stream(asset: Asset, response: Response): Promise<void> {
    const object = await this.assets.open(asset);
    response.status(200).type(asset.contentType).setHeader('Content-Length', String(asset.bytes));
    // pipeline, not pipe: a client that goes away must release the storage connection too.
    // A client that stops reading (a closed tab, a cancelled download) is routine, not a warning;
    // a failure on the storage side is.
    pipeline(object.body, response, (error) => {
      if (!error) return;
      const message = `asset ${asset.id} (task ${asset.taskId}): download ended early: ${error.message}`;
      if (response.destroyed && !response.writableFinished && (error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') {
        this.logger.debug(message);
      } else this.logger.warn(message);
    });
  }
}
