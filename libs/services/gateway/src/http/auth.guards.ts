import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { Priority } from '@darkroom/contracts';
import { DomainError } from '@darkroom/kernel';
import { addToLogContext } from '@darkroom/logging';
import { AccountsRepository } from '../accounts/accounts.repository';
import { GATEWAY_OPTIONS, type GatewayOptions } from '../gateway.options';
import { HttpProblem } from './http-problem';
import { FailedAuthThrottle } from './rate-limit/failed-auth-throttle';
import { RateLimitService } from './rate-limit/rate-limit.service';
import type { WithRequestId } from './request-id';
import { looksLikeScopedToken, type ScopedTokenClaims } from '../tokens/scoped-token';
import { ScopedTokensService } from '../tokens/scoped-tokens.service';
import { TOKEN_ACCESS, type TokenAccessKind } from '../tokens/token-access';

/** The request after `ApiKeyGuard`: the caller's account and the key it used. */
export interface AuthenticatedRequest extends Request, WithRequestId {
  accountId: string;
  /** The API key used, or the one that issued the scoped token used. */
  apiKeyId: string;
  /** The highest scheduling lane the account may ask for (decision 0024). */
  maxPriority: Priority;
  /** Set when the caller holds a scoped token (`POST /v1/tokens`) rather than the key. */
  token?: ScopedTokenClaims;
}

function bearer(request: Request): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

const unauthorized = () =>
  new DomainError('unauthorized', 'unauthorized', 'Send a valid API key as "Authorization: Bearer <key>".');

/**
 * `/v1/*`: an active API key (a revoked one is refused with the next request), or a scoped
 * token on a route that allows tokens, within its scope; then one request counted against
 * that key's rate limit, with the RateLimit headers on the answer. An address that sent too
 * many wrong keys is refused before its key is looked up.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly logger = new Logger(ApiKeyGuard.name);

  constructor(
    private readonly accounts: AccountsRepository,
    private readonly rateLimit: RateLimitService,
    private readonly failedAuth: FailedAuthThrottle,
    private readonly tokens: ScopedTokensService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const response = context.switchToHttp().getResponse<Response>();
    await this.failedAuth.refuseIfThrottled(request.ip, response);
    const key = bearer(request);
    if (!key) throw unauthorized();
    const owner = looksLikeScopedToken(key) ? await this.tokenOwner(context, request, key) : await this.accounts.ownerOfKey(key);
    if (!owner) {
      await this.failedAuth.recordFailure(request.ip);
      throw unauthorized();
    }
    request.accountId = owner.accountId;
    request.apiKeyId = owner.keyId;
    // A scoped token's tasks run in the standard lane at most (its claims carry no lane).
    request.maxPriority = 'maxPriority' in owner ? owner.maxPriority : 'standard';
    addToLogContext({ accountId: owner.accountId });
    if (!request.token) {
      this.accounts.touch(owner.keyId)?.catch((error: unknown) => {
        this.logger.warn(`request ${request.requestId}: last_used_at of key ${owner.keyId} not recorded: ${String(error)}`);
      });
    }

    const decision = await this.rateLimit.consume(owner.keyId);
    for (const [name, value] of Object.entries(decision.headers)) response.setHeader(name, value);
    if (!decision.allowed) {
      response.setHeader('Retry-After', String(decision.retryAfterSeconds));
      throw new HttpProblem(429, 'rate_limited', `Too many requests for this API key; retry in ${decision.retryAfterSeconds} s.`, {
        retry_after: decision.retryAfterSeconds,
      });
    }
    return true;
  }

  /** The account of a scoped token this route and its `:id` are within; undefined when it is not ours. */
  private async tokenOwner(context: ExecutionContext, request: AuthenticatedRequest, token: string) {
    const access = this.reflector.get<TokenAccessKind | undefined>(TOKEN_ACCESS, context.getHandler());
    const id = request.params['id'];
    const claims = await this.tokens.admit(token, access, typeof id === 'string' ? id : undefined);
    if (!claims) return undefined;
    request.token = claims;
    return { accountId: claims.accountId, keyId: claims.apiKeyId };
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * `/admin/*`: the admin credential only. An API key here is refused like any other wrong
 * credential (401, not 403): the admin surface does not tell keys it does not accept apart.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(
    @Inject(GATEWAY_OPTIONS) private readonly options: GatewayOptions,
    private readonly failedAuth: FailedAuthThrottle,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    await this.failedAuth.refuseIfThrottled(request.ip, context.switchToHttp().getResponse<Response>());
    const key = bearer(request);
    if (!key || !timingSafeEqual(digest(key), digest(this.options.adminApiKey))) {
      if (key) await this.failedAuth.recordFailure(request.ip);
      throw new DomainError('unauthorized', 'unauthorized', 'Send the admin key as "Authorization: Bearer <key>".');
    }
    return true;
  }
}
