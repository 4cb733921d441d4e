import { pipeline } from 'node:stream';
import { Controller, Get, Inject, Logger, Param, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiQuery, ApiSecurity } from '@nestjs/swagger';
import type { Response } from 'express';
import { systemClock, type Clock } from '@darkroom/kernel';
import { CLOCK } from '@darkroom/runtime';
import { assetUrlsOf, GATEWAY_OPTIONS, publicBaseUrlOf, type GatewayOptions } from '../gateway.options';
import { ApiKeyGuard, type AuthenticatedRequest } from '../http/auth.guards';
import { AssetAccessGuard, type AssetRequest } from './asset-access.guard';
import { assetCacheControl, assetEtag, etagMatches } from './asset-delivery';
import { AssetsService } from './assets.service';
import { SignedUrlQuery } from './signed-url.dto';
import { TokenAccess } from '../tokens/token-access';

type Asset = Awaited<ReturnType<AssetsService['find']>>;

/** How `/content` always serves: the bytes, private to the caller. */
const PROXIED = { mode: 'proxy' } as const;

@Controller('v1/assets')
export class AssetsController {
  private readonly logger = new Logger(AssetsController.name);

  constructor(
    private readonly assets: AssetsService,
    @Inject(GATEWAY_OPTIONS) private readonly options: GatewayOptions,
    @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Ownership first (another account's asset is a 404 `asset_not_found`), then a 302 to a
   * short-lived presigned URL or the CDN's stable URL, or the bytes themselves when proxying.
   * `ETag` is the sha256: `If-None-Match` with it is a 304. A signed URL (`expires` and
   * `signature` from `GET /v1/assets/{id}/signed_url`) needs no key: it opens this asset only.
   */
  @Get(':id')
  @UseGuards(AssetAccessGuard)
  @TokenAccess('asset')
  @ApiSecurity({}) // decorators apply bottom-up: the key is listed first, a signed URL second
  @ApiSecurity('bearer')
  @ApiQuery({ name: 'expires', required: false, description: 'A signed URL’s expiry (Unix seconds); with `signature`, no key is needed.' })
  @ApiQuery({ name: 'signature', required: false, description: 'A signed URL’s HMAC (from `GET /v1/assets/{id}/signed_url`, webhook payloads’ `signed_url`, the OpenAI façade’s `url`).' })
  async download(@Req() request: AssetRequest, @Param('id') id: string, @Res() response: Response) {
    const asset = request.signedAssetId ? await this.assets.findSigned(request.signedAssetId) : await this.assets.find(request.accountId, id);
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
  @UseGuards(ApiKeyGuard)
  @TokenAccess('asset')
  async content(@Req() request: AuthenticatedRequest, @Param('id') id: string, @Res() response: Response) {
    const asset = await this.assets.find(request.accountId, id);
    if (this.notModified(request, response, asset, assetCacheControl(PROXIED))) return;
    await this.stream(asset, response);
  }

  /**
   * A URL of the asset that works without a header until `expires_at` (for `<img src>`):
   * `expires_in` seconds, default `SIGNED_ASSET_URL_TTL_SECONDS`. Rotating the signing key revokes it.
   */
  @Get(':id/signed_url')
  @UseGuards(ApiKeyGuard)
  @TokenAccess('asset')
  async signedUrl(@Req() request: AuthenticatedRequest, @Param('id') id: string, @Query() query: SignedUrlQuery) {
    const asset = await this.assets.find(request.accountId, id);
    const { signer, ttlSeconds } = assetUrlsOf(this.options);
    const expiresAt = new Date(this.clock.now().getTime() + (query.expires_in ?? ttlSeconds) * 1000);
    return { object: 'signed_asset_url', asset_id: asset.id, url: signer.url(publicBaseUrlOf(this.options), asset.id, expiresAt), expires_at: expiresAt.toISOString() };
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
