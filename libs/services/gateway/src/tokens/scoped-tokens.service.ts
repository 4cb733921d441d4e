import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { generationStream, type GenerationCreated } from '@darkroom/contracts';
import type { EventStore } from '@darkroom/event-store';
import { DomainError, newId, type Clock } from '@darkroom/kernel';
import { ModelCatalog } from '@darkroom/providers';
import { CLOCK, EVENT_STORE } from '@darkroom/runtime';
import { AssetsService } from '../assets/assets.service';
import { GATEWAY_OPTIONS, type GatewayOptions } from '../gateway.options';
import { GenerationsService } from '../generations/generations.service';
import { isUuid } from '../http/ids';
import { ScopedTokenSigner, type ScopedTokenClaims } from './scoped-token';
import { scopeRefused, type TokenAccessKind } from './token-access';

/** What `POST /v1/tokens` asks for (validated at the edge). */
export interface TokenRequest {
  readonly endUserId: string;
  readonly expiresInSeconds: number;
  readonly models?: readonly string[];
  readonly maxPrice?: number;
  readonly taskId?: string;
}


/**
 * Scoped tokens (decision 0027): issued by an API key for a browser, and admitted by the
 * auth guard with their limits — a route must allow tokens (`@TokenAccess`), a task must be one
 * the token created (or names), an asset one of such a task's.
 */
@Injectable()
export class ScopedTokensService {
  private readonly signer: ScopedTokenSigner;

  constructor(
    @Inject(GATEWAY_OPTIONS) options: GatewayOptions,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly catalog: ModelCatalog,
    private readonly generations: GenerationsService,
    private readonly assets: AssetsService,
  ) {
    this.signer = new ScopedTokenSigner(
      options.tokenSigningKeys ?? [createHmac('sha256', options.adminApiKey).update('darkroom scoped token key').digest('base64url')],
    );
  }

  async issue(accountId: string, apiKeyId: string, request: TokenRequest) {
    for (const model of request.models ?? []) this.catalog.get(model); // an unknown id is a 400 model_not_found
    if (request.taskId !== undefined) await this.generations.get(accountId, request.taskId);
    const issuedAt = Math.floor(this.clock.now().getTime() / 1000);
    const claims: ScopedTokenClaims = {
      id: newId(),
      accountId,
      apiKeyId,
      endUserId: request.endUserId,
      scope: { models: request.models ? [...new Set(request.models)] : null, maxPrice: request.maxPrice ?? null, taskId: request.taskId ?? null },
      issuedAt,
      expiresAt: issuedAt + request.expiresInSeconds,
    };
    return {
      object: 'scoped_token',
      id: claims.id,
      token: this.signer.sign(claims),
      end_user_id: claims.endUserId,
      expires_at: new Date(claims.expiresAt * 1000).toISOString(),
      scope: { models: claims.scope.models, max_price: claims.scope.maxPrice, task_id: claims.scope.taskId },
    };
  }

  /**
   * The token's claims if it may use this route on `id`; undefined for a token that is not
   * ours (counted as a wrong key). Expired: 401 `token_expired`; outside its scope: 403
   * `token_scope_refused`, or the route's own 404 for a task or asset it may not see.
   */
  async admit(token: string, access: TokenAccessKind | undefined, id: string | undefined): Promise<ScopedTokenClaims | undefined> {
    const claims = this.signer.verify(token, this.clock.now());
    if (claims === 'invalid') return undefined;
    if (claims === 'expired') throw new DomainError('token_expired', 'unauthorized', 'This scoped token has expired; ask the product for a new one.');
    if (access === undefined) throw scopeRefused('This route takes an API key; a scoped token may create and read its own tasks and their assets only.');
    if (access === 'task' && !(await this.mayRead(claims, id ?? ''))) {
      throw new DomainError('generation_not_found', 'not_found', `No generation ${id}.`);
    }
    if (access === 'asset') {
      const asset = await this.assets.find(claims.accountId, id ?? '');
      if (!(await this.mayRead(claims, asset.taskId))) throw new DomainError('asset_not_found', 'not_found', `No asset ${id}.`);
    }
    return claims;
  }

  /** The named task, or one the token created (its GenerationCreated says so). */
  private async mayRead(claims: ScopedTokenClaims, taskId: string): Promise<boolean> {
    if (claims.scope.taskId !== null) return taskId === claims.scope.taskId;
    if (!isUuid(taskId)) return false;
    const [created] = await this.store.readStream<GenerationCreated>(generationStream(taskId));
    return created?.type === 'GenerationCreated' && created.data.scopedToken?.tokenId === claims.id && created.data.request.accountId === claims.accountId;
  }
}
