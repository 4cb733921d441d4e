import type { CreditMovement, Recorded } from '@darkroom/contracts';
import { recordedEvent } from '@darkroom/testing';
import { evolveCreditBalance, type CreditBalanceRow } from './credit-balance.evolve';

describe('credit balance projection', () => {
  it('tracks granted, reserved, captured and available through a reservation that is captured', () => {
    const row = project([
      recorded('CreditsGranted', { amount: 10 }),
      recorded('CreditsReserved', { reservationId: 't1', amount: 3 }),
      recorded('CreditsCaptured', { reservationId: 't1', amount: 3 }),
    ]);
    expect(row).toMatchObject({ granted: 10, reserved: 0, captured: 3, available: 7 });
  });

  it('gives released credits back to available', () => {
    const row = project([
      recorded('CreditsGranted', { amount: 5 }),
      recorded('CreditsReserved', { reservationId: 't1', amount: 4 }),
      recorded('CreditsReleased', { reservationId: 't1', amount: 4 }),
    ]);
    expect(row).toMatchObject({ granted: 5, reserved: 0, captured: 0, available: 5 });
  });

  it('changes nothing on a rejected reservation', () => {
    const row = project([
      recorded('CreditsGranted', { amount: 1 }),
      recorded('CreditsReservationRejected', { reservationId: 't1', amount: 4, available: 1 }),
    ]);
    expect(row).toMatchObject({ granted: 1, reserved: 0, available: 1 });
  });
});

function project(events: Recorded<CreditMovement>[]): CreditBalanceRow | undefined {
  return events.reduce<CreditBalanceRow | undefined>(evolveCreditBalance, undefined);
}

function recorded(type: string, data: Record<string, unknown>): Recorded<CreditMovement> {
  return recordedEvent<CreditMovement>(type as CreditMovement['type'], { accountId: 'acc-1', ...data });
}
