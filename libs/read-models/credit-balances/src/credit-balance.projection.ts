import type { CreditMovement } from '@darkroom/contracts';
import type { RowProjection } from '@darkroom/projections';
import { evolveCreditBalance, type CreditBalanceRow } from './credit-balance.evolve';
import { loadCreditBalance, saveCreditBalance } from './credit-balance.repository';

/** A deferred settlement moves no credits: it makes no row. */
const eventTypes: readonly CreditMovement['type'][] = [
  'CreditsGranted',
  'CreditsReserved',
  'CreditsReservationRejected',
  'CreditsCaptured',
  'CreditsReleased',
];

export const creditBalanceProjection: RowProjection<CreditBalanceRow, CreditMovement> = {
  name: 'credit_balances',
  eventTypes,
  keyOf: (event) => event.data.accountId,
  evolve: evolveCreditBalance,
  load: loadCreditBalance,
  save: saveCreditBalance,
};
