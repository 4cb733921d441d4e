import { SetMetadata } from '@nestjs/common';
import { HttpProblem } from '../http/http-problem';

export const TOKEN_ACCESS = 'darkroom:token-access';

/**
 * What a scoped token may do on a route; a route without it takes API keys only.
 * `create`: create a task within the token's scope; `task`: read the task `:id` if the token
 * created it (or names it); `asset`: read the asset `:id` of such a task; `any`: nothing
 * account-specific (the model list).
 */
export type TokenAccessKind = 'create' | 'task' | 'asset' | 'any';

export const TokenAccess = (kind: TokenAccessKind) => SetMetadata(TOKEN_ACCESS, kind);

/** 403: what a scoped token asked for is outside what it was issued for. */
export const scopeRefused = (message: string, detail: Record<string, unknown> = {}) => new HttpProblem(403, 'token_scope_refused', message, detail);
