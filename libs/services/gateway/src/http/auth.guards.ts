import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { DomainError } from '@darkroom/kernel';
import { AccountsRepository } from '../accounts/accounts.repository';
import { GATEWAY_OPTIONS, type GatewayOptions } from '../gateway.options';
import type { WithRequestId } from './request-id';

/** The request after `ApiKeyGuard`: the caller's account. */
export interface AuthenticatedRequest extends Request, WithRequestId {
  accountId: string;
}

function bearer(request: Request): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

const unauthorized = () =>
  new DomainError('unauthorized', 'unauthorized', 'Send a valid API key as "Authorization: Bearer <key>".');

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly accounts: AccountsRepository) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const key = bearer(request);
    const accountId = key ? await this.accounts.accountForKey(key) : undefined;
    if (!accountId) throw unauthorized();
    request.accountId = accountId;
    return true;
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest();

@Injectable()
export class AdminGuard implements CanActivate {
  constructor(@Inject(GATEWAY_OPTIONS) private readonly options: GatewayOptions) {}

  canActivate(context: ExecutionContext): boolean {
    const key = bearer(context.switchToHttp().getRequest<Request>());
    if (!key || !timingSafeEqual(digest(key), digest(this.options.adminApiKey))) {
      throw new DomainError('unauthorized', 'unauthorized', 'Send the admin key as "Authorization: Bearer <key>".');
    }
    return true;
  }
}
