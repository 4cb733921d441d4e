import type { CreditMovement } from '@darkroom/contracts';
import type { RowProjection } from '@darkroom/projections';
import { evolveLedgerEntry, type LedgerEntryRow } from './ledger-entry.evolve';
import { saveLedgerEntries } from './ledger-entry.repository';

/** A deferred settlement moves no credits: it makes no row. */
const eventTypes: readonly CreditMovement['type'][] = [
  'CreditsGranted',
  'CreditsReserved',
  'CreditsReservationRejected',
  'CreditsCaptured',
  'CreditsReleased',
];

/**
 * `ledger_entries`, keyed by event id. `load` reads nothing: an entry depends on its event
 * alone, and `save` inserts idempotently. A capture or release also stamps `resolved_at`
 * on its reservation's entry, which is how the expiry backstop finds open reservations.
 */
export const ledgerEntryProjection: RowProjection<LedgerEntryRow, CreditMovement> = {
  name: 'ledger_entries',
  eventTypes,
  keyOf: (event) => (event.data.accountId ? event.eventId : undefined),
  evolve: evolveLedgerEntry,
  async load() {
    return undefined;
  },
  save: (tx, row) => saveLedgerEntries(tx, [row]),
  saveMany: saveLedgerEntries,
};
