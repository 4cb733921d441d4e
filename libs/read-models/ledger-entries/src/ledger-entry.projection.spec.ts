import type { CreditMovement, Recorded } from '@darkroom/contracts';
import { recordedEvent } from '@darkroom/testing';
import { evolveLedgerEntry } from './ledger-entry.evolve';
import { ledgerEntryProjection } from './ledger-entry.projection';

const at = '2026-11-24T10:00:00.000Z';

describe('ledger entry projection', () => {
  it('records a grant with its id and reason', () => {
    const event = recorded('CreditsGranted', { grantId: 'g1', amount: 10, reason: 'welcome', grantedAt: at });
    expect(evolveLedgerEntry(undefined, event)).toEqual({
      id: event.eventId,
      accountId: 'acc-1',
      type: 'granted',
      amount: 10,
      taskId: null,
      grantId: 'g1',
      reason: 'welcome',
      globalPosition: event.globalPosition,
      createdAt: at,
    });
  });

  it('links a reservation, its capture and its release to the task', () => {
    const types = ['CreditsReserved', 'CreditsCaptured', 'CreditsReleased'].map((type) =>
      evolveLedgerEntry(undefined, recorded(type, { reservationId: 't1', amount: 3, reservedAt: at, capturedAt: at, releasedAt: at })),
    );
    expect(types.map(({ type, taskId, amount, grantId }) => ({ type, taskId, amount, grantId }))).toEqual([
      { type: 'reserved', taskId: 't1', amount: 3, grantId: null },
      { type: 'captured', taskId: 't1', amount: 3, grantId: null },
      { type: 'released', taskId: 't1', amount: 3, grantId: null },
    ]);
  });

  it('says why a reservation was rejected', () => {
    const entry = evolveLedgerEntry(undefined, recorded('CreditsReservationRejected', { reservationId: 't2', amount: 4, available: 1, rejectedAt: at }));
    expect(entry).toMatchObject({ type: 'reservation_rejected', taskId: 't2', amount: 4, reason: 'insufficient_credits' });
  });

  it('keeps the reason of a release, and none for a release recorded before reasons were kept', () => {
    const expired = evolveLedgerEntry(undefined, recorded('CreditsReleased', { reservationId: 't1', amount: 2, releasedAt: at, reason: 'expired' }));
    const old = evolveLedgerEntry(undefined, recorded('CreditsReleased', { reservationId: 't1', amount: 2, releasedAt: at }));
    expect(expired.reason).toBe('expired');
    expect(old.reason).toBeNull();
  });

  it('never changes an entry once written', () => {
    const first = evolveLedgerEntry(undefined, recorded('CreditsGranted', { grantId: 'g1', amount: 10, reason: 'r', grantedAt: at }));
    const again = evolveLedgerEntry(first, recorded('CreditsGranted', { grantId: 'g1', amount: 99, reason: 'other', grantedAt: at }));
    expect(again).toBe(first);
  });

  it('keys each entry by its event id', () => {
    const event = recorded('CreditsGranted', { grantId: 'g1', amount: 1, reason: 'r', grantedAt: at });
    expect(ledgerEntryProjection.keyOf(event)).toBe(event.eventId);
  });
});

function recorded(type: string, data: Record<string, unknown>): Recorded<CreditMovement> {
  return recordedEvent<CreditMovement>(type as CreditMovement['type'], { accountId: 'acc-1', ...data });
}
