import type { ReservationRejectionReason, Spender, SpendCapBreach } from '../credit-account.events';

/** A batch's items, priced by the edge; each item's reservation id is its task id. */
export interface BatchReservation {
  readonly accountId: string;
  readonly batchId: string;
  readonly items: readonly { readonly reservationId: string; readonly amount: number }[];
  readonly spender?: Spender;
}

export type BatchReservationOutcome =
  | { readonly kind: 'reserved'; readonly amount: number }
  | {
      readonly kind: 'rejected';
      readonly reason: ReservationRejectionReason;
      readonly amount: number;
      /** Credits available when it was refused. */
      readonly available: number;
      readonly cap?: SpendCapBreach;
    };

/** A batch's whole price held in one ledger decision, by the ledger's code (decision 0029). */
export abstract class CreditReservations {
  /** All items or none; the same batch again answers as the first time. */
  abstract reserveBatch(batch: BatchReservation): Promise<BatchReservationOutcome>;
}
