import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Sql } from '@darkroom/database';
import { DarkroomMetrics } from '@darkroom/observability';
import { SQL } from '@darkroom/runtime';

/** A circuit breaker's folded state, as the `provider_circuits` table keeps it (decision 0025). */
export interface ProviderCircuitRow {
  readonly provider: string;
  readonly model: string;
  readonly status: 'closed' | 'open';
  /** Failures counted since the circuit last closed (while closed). */
  readonly failures: number;
  /** While open: until when attempts are diverted; after it the circuit is half-open. */
  readonly openUntil?: string;
}

interface Record {
  provider: string;
  model: string;
  status: 'closed' | 'open';
  failures: number;
  open_until: Date | null;
}

const toRow = (record: Record): ProviderCircuitRow => ({
  provider: record.provider,
  model: record.model,
  status: record.status,
  failures: record.failures,
  ...(record.open_until ? { openUntil: record.open_until.toISOString() } : {}),
});

export async function loadCircuit(sql: Sql, provider: string, model: string): Promise<ProviderCircuitRow | undefined> {
  const { rows } = await sql.query<Record>(`SELECT * FROM provider_circuits WHERE provider = $1 AND model = $2`, [provider, model]);
  return rows[0] && toRow(rows[0]);
}

export async function loadCircuits(sql: Sql): Promise<ProviderCircuitRow[]> {
  const { rows } = await sql.query<Record>(`SELECT * FROM provider_circuits ORDER BY provider, model`);
  return rows.map(toRow);
}

/** Circuits open at `now` (cool-down not over); a table of one row per (provider, model) that ever failed. */
export async function loadOpenCircuits(sql: Sql, now: string): Promise<ProviderCircuitRow[]> {
  const { rows } = await sql.query<Record>(`SELECT * FROM provider_circuits WHERE status = 'open' AND open_until > $1`, [now]);
  return rows.map(toRow);
}

export async function saveCircuit(tx: Sql, row: ProviderCircuitRow, now: string): Promise<void> {
  await tx.query(
    `INSERT INTO provider_circuits (provider, model, status, failures, open_until, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (provider, model) DO UPDATE
       SET status = EXCLUDED.status, failures = EXCLUDED.failures, open_until = EXCLUDED.open_until, updated_at = EXCLUDED.updated_at`,
    [row.provider, row.model, row.status, row.failures, row.openUntil ?? null, now],
  );
}

/** How `GET /v1/models` shows a model's circuit: half-open once the cool-down is over. */
export type ModelHealth = 'healthy' | 'circuit_open' | 'half_open';

export function healthOf(row: ProviderCircuitRow | undefined, now: string): ModelHealth {
  if (row?.status !== 'open') return 'healthy';
  return row.openUntil !== undefined && now < row.openUntil ? 'circuit_open' : 'half_open';
}

/** `darkroom_provider_circuit_open{provider,model}`: 1 while a circuit is open or half-open, read at scrape. */
@Injectable()
export class CircuitMetrics implements OnModuleInit {
  constructor(
    @Inject(SQL) private readonly sql: Sql,
    private readonly metrics: DarkroomMetrics,
  ) {}

  onModuleInit(): void {
    this.metrics.scrapeGauge(
      'darkroom_provider_circuit_open',
      'Circuit breakers per provider and model: 1 while open or half-open (attempts go to the fallback or probe).',
      ['provider', 'model'],
      async (set) => {
        for (const row of await loadCircuits(this.sql)) set({ provider: row.provider, model: row.model }, row.status === 'open' ? 1 : 0);
      },
    );
  }
}
