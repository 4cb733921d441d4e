import type { AccountDetails, ApiKeyRecord } from './accounts.repository';

/** What listings show of a key: its id, visible prefix and dates, never the key or its hash. */
export function toApiKeyResource(key: ApiKeyRecord) {
  return {
    id: key.id,
    object: 'api_key',
    account_id: key.accountId,
    prefix: key.prefix,
    name: key.name,
    created_at: key.createdAt.toISOString(),
    /** Up to a minute behind: it is written at most once a minute per key. */
    last_used_at: key.lastUsedAt?.toISOString() ?? null,
    revoked_at: key.revokedAt?.toISOString() ?? null,
  };
}

export interface AccountBalance {
  readonly available: number;
  readonly reserved: number;
  readonly captured: number;
  readonly granted: number;
}

/** What an account is and what admins set on it: the `PATCH /admin/accounts/{id}` answer, and the start of the full resource. */
export function toAccountSettings(account: Pick<AccountDetails, 'id' | 'name' | 'retentionDays' | 'scheduling'>) {
  return {
    id: account.id,
    object: 'account',
    name: account.name,
    retention_days: account.retentionDays,
    scheduling_weight: account.scheduling.weight,
    max_priority: account.scheduling.maxPriority,
  };
}

export function toAccountResource(account: AccountDetails, credits: AccountBalance) {
  return {
    ...toAccountSettings(account),
    created_at: account.createdAt.toISOString(),
    /** Keys not revoked. */
    api_key_count: account.activeKeys,
    credits,
  };
}
