export interface CreditGrant {
  /** Names the grant: the same id grants once (derive it from an Idempotency-Key). */
  readonly grantId: string;
  readonly accountId: string;
  /** Credits added, a positive integer. */
  readonly amount: number;
  readonly reason: string;
}

export interface CreditGrantReceipt {
  readonly grantId: string;
  /** Credits available on the account once the grant is applied. */
  readonly available: number;
}

/** Credits granted to an account, by the ledger's code (decision 0022). */
export abstract class CreditGrants {
  abstract grant(grant: CreditGrant): Promise<CreditGrantReceipt>;
}
