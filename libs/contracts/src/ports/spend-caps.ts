import type { SpendCapPeriod, SpendCapScope } from '../credit-account.events';

export interface SpendCapChange {
  readonly accountId: string;
  readonly scope: SpendCapScope;
  /** The API key's id or the end user's id. */
  readonly id: string;
  readonly period: SpendCapPeriod;
  /** Credits per period (a whole number >= 0), or null to remove the cap. */
  readonly limit: number | null;
}

/** A cap as the ledger holds it once the change is applied, with its current period's usage. */
export interface SpendCapState {
  readonly scope: SpendCapScope;
  readonly id: string;
  readonly period: SpendCapPeriod;
  readonly limit: number | null;
  /** The current period (`YYYY-MM-DD` or `YYYY-MM`, UTC). */
  readonly window: string;
  /** Credits reserved or spent against the cap in that period. */
  readonly used: number;
}

/** Spend caps, set through the credit account's decider by the ledger's code (decision 0028). */
export abstract class SpendCaps {
  abstract set(change: SpendCapChange): Promise<SpendCapState>;
}
