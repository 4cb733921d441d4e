import type { CreditMovement, Recorded } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import { assertNever } from '@darkroom/kernel';
import type { RowProjection } from '@darkroom/projections';

export interface CreditBalanceRow {
  readonly accountId: string;
  readonly granted: number;
  readonly reserved: number;
  readonly captured: number;
  readonly available: number;
  readonly updatedAt: string;
}

/** A deferred settlement moves no credits: it makes no row. */
const eventTypes: readonly CreditMovement['type'][] = [
  'CreditsGranted',
  'CreditsReserved',
  'CreditsReservationRejected',
  'CreditsCaptured',
  'CreditsReleased',
];

/** Pure: the balance row after one credit-account event. */
export function evolveCreditBalance(row: CreditBalanceRow | undefined, event: Recorded<CreditMovement>): CreditBalanceRow {
  const current: CreditBalanceRow = row ?? {
    accountId: event.data.accountId,
    granted: 0,
    reserved: 0,
    captured: 0,
    available: 0,
    updatedAt: event.recordedAt,
  };
  const next = { ...current, updatedAt: event.recordedAt };
  switch (event.type) {
    case 'CreditsGranted':
      return { ...next, granted: next.granted + event.data.amount, available: next.available + event.data.amount };
    case 'CreditsReserved':
      return { ...next, reserved: next.reserved + event.data.amount, available: next.available - event.data.amount };
    case 'CreditsReservationRejected':
      return next;
    case 'CreditsCaptured':
      return { ...next, reserved: next.reserved - event.data.amount, captured: next.captured + event.data.amount };
    case 'CreditsReleased':
      return { ...next, reserved: next.reserved - event.data.amount, available: next.available + event.data.amount };
    default:
      return assertNever(event);
  }
}

interface BalanceRecord {
  account_id: string;
  granted: string;
  reserved: string;
  captured: string;
  available: string;
  updated_at: Date;
}

export const creditBalanceProjection: RowProjection<CreditBalanceRow, CreditMovement> = {
  name: 'credit_balances',
  eventTypes,
  keyOf: (event) => event.data.accountId,
  evolve: evolveCreditBalance,
  async load(tx: Sql, accountId: string) {
    const { rows } = await tx.query<BalanceRecord>(`SELECT * FROM credit_balances WHERE account_id = $1`, [accountId]);
    return rows[0] ? toRow(rows[0]) : undefined;
  },
  async save(tx: Sql, row: CreditBalanceRow) {
    await tx.query(
      `INSERT INTO credit_balances (account_id, granted, reserved, captured, available, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (account_id) DO UPDATE SET granted = $2, reserved = $3, captured = $4, available = $5, updated_at = $6`,
      [row.accountId, row.granted, row.reserved, row.captured, row.available, row.updatedAt],
    );
  },
};

export function toRow(record: BalanceRecord): CreditBalanceRow {
  return {
    accountId: record.account_id,
    granted: Number(record.granted),
    reserved: Number(record.reserved),
    captured: Number(record.captured),
    available: Number(record.available),
    updatedAt: new Date(record.updated_at).toISOString(),
  };
}
