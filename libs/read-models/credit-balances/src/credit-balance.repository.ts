import type { Sql } from '@darkroom/database';
import type { CreditBalanceRow } from './credit-balance.evolve';

interface BalanceRecord {
  account_id: string;
  granted: string;
  reserved: string;
  captured: string;
  available: string;
  updated_at: Date;
}

export async function loadCreditBalance(tx: Sql, accountId: string): Promise<CreditBalanceRow | undefined> {
  const { rows } = await tx.query<BalanceRecord>(`SELECT * FROM credit_balances WHERE account_id = $1`, [accountId]);
  return rows[0] ? toCreditBalanceRow(rows[0]) : undefined;
}

export async function saveCreditBalance(tx: Sql, row: CreditBalanceRow): Promise<void> {
  await tx.query(
    `INSERT INTO credit_balances (account_id, granted, reserved, captured, available, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (account_id) DO UPDATE SET granted = $2, reserved = $3, captured = $4, available = $5, updated_at = $6`,
    [row.accountId, row.granted, row.reserved, row.captured, row.available, row.updatedAt],
  );
}

function toCreditBalanceRow(record: BalanceRecord): CreditBalanceRow {
  return {
    accountId: record.account_id,
    granted: Number(record.granted),
    reserved: Number(record.reserved),
    captured: Number(record.captured),
    available: Number(record.available),
    updatedAt: new Date(record.updated_at).toISOString(),
  };
}
