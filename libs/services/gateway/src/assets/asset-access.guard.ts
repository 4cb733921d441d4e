import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Response } from 'express';
import { invalidRequest, systemClock, type Clock } from '@darkroom/kernel';
import { CLOCK } from '@darkroom/runtime';
import { assetUrlsOf, GATEWAY_OPTIONS, type GatewayOptions } from '../gateway.options';
import { ApiKeyGuard, type AuthenticatedRequest } from '../http/auth.guards';
import { illFormedFields } from '../http/body/well-formed-text';
import { HttpProblem } from '../http/http-problem';
import { FailedAuthThrottle } from '../http/rate-limit/failed-auth-throttle';

/** A request for an asset: with a live signed URL it names no account (`signedAssetId` is set instead). */
export interface AssetRequest extends AuthenticatedRequest {
  signedAssetId?: string;
}

/**
 * `GET /v1/assets/{id}`: a signed URL (`?expires=&signature=`, decision 0027) opens that one
 * asset without a header; anything else needs the API key. A wrong signature counts as a
 * wrong key for the address's throttle.
 */
@Injectable()
export class AssetAccessGuard implements CanActivate {
  constructor(
    private readonly apiKeys: ApiKeyGuard,
    private readonly failedAuth: FailedAuthThrottle,
    @Inject(GATEWAY_OPTIONS) private readonly options: GatewayOptions,
    @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AssetRequest>();
    const { expires, signature } = request.query;
    if (signature === undefined && expires === undefined) return this.apiKeys.canActivate(context);
    // A guard runs before the pipes: the parameters are checked here as the pipe checks them elsewhere.
    const malformed = illFormedFields({ expires, signature });
    if (malformed.length > 0) throw invalidRequest(malformed);
    await this.failedAuth.refuseIfThrottled(request.ip, context.switchToHttp().getResponse<Response>());
    const id = String(request.params['id']);
    const refusal = assetUrlsOf(this.options).signer.refusal(id, expires, signature, this.clock.now());
    if (refusal === 'expired') throw new HttpProblem(403, 'signed_url_expired', 'This signed asset URL has expired; ask for a new one.');
    if (refusal) {
      await this.failedAuth.recordFailure(request.ip);
      throw new HttpProblem(403, 'signed_url_invalid', 'This signed asset URL is not valid (changed, or signed with a key that was rotated out).');
    }
    request.signedAssetId = id;
    return true;
  }
}
