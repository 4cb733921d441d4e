import type { CreditAccountEvent } from '@darkroom/contracts';
import { assertNever } from '@darkroom/kernel';

/** What became of a reservation; only an `open` one holds credits. */
export type ReservationStatus = 'open' | 'captured' | 'released' | 'rejected';

export interface Reservation {
  readonly amount: number;
  readonly status: ReservationStatus;
  /** When it was made (ISO 8601); kept while it is open, for the expiry backstop. */
  readonly reservedAt?: string;
}

/** Plain records (no Map/Set) so the state serialises. Every id ever seen is kept for idempotency. */
export interface CreditAccountState {
  /** Sum of all grants. */
  readonly granted: number;
  /** Sum of all captured reservations. */
  readonly captured: number;
  /** Sum of the open reservations. */
  readonly reserved: number;
  /** grantId → amount. */
  readonly grants: Readonly<Record<string, number>>;
  /** reservationId → reservation. */
  readonly reservations: Readonly<Record<string, Reservation>>;
}

export const initialCreditAccountState = (): CreditAccountState => ({
  granted: 0,
  captured: 0,
  reserved: 0,
  grants: {},
  reservations: {},
});

/** Credits a new reservation can take: granted − captured − open reservations, never below zero. */
export function availableCredits(state: CreditAccountState): number {
  return Math.max(0, state.granted - state.captured - state.reserved);
}

export function evolveCreditAccount(state: CreditAccountState, event: CreditAccountEvent): CreditAccountState {
  switch (event.type) {
    case 'CreditsGranted': {
      const { grantId, amount } = event.data;
      return { ...state, granted: state.granted + amount, grants: { ...state.grants, [grantId]: amount } };
    }
    case 'CreditsReserved': {
      const { reservationId, amount, reservedAt } = event.data;
      return {
        ...withReservation(state, reservationId, { amount, status: 'open', reservedAt }),
        reserved: state.reserved + amount,
      };
    }
    case 'CreditsReservationRejected': {
      const { reservationId, amount } = event.data;
      return withReservation(state, reservationId, { amount, status: 'rejected' });
    }
    case 'CreditsCaptured': {
      const { reservationId, amount } = event.data;
      return {
        ...withReservation(state, reservationId, { amount, status: 'captured' }),
        reserved: state.reserved - amount,
        captured: state.captured + amount,
      };
    }
    case 'CreditsReleased': {
      const { reservationId, amount } = event.data;
      return { ...withReservation(state, reservationId, { amount, status: 'released' }), reserved: state.reserved - amount };
    }
    default:
      return assertNever(event);
  }
}

function withReservation(state: CreditAccountState, reservationId: string, reservation: Reservation): CreditAccountState {
  return { ...state, reservations: { ...state.reservations, [reservationId]: reservation } };
}
