import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Sql } from '@darkroom/database';
import { DarkroomMetrics } from '@darkroom/observability';
import { SQL } from '@darkroom/runtime';

/**
 * Open credit reservations (made, neither captured nor released yet), counted at scrape
 * from `ledger_entries` through its partial index of open reservations.
 */
@Injectable()
export class ReservationMetrics implements OnModuleInit {
  constructor(
    @Inject(SQL) private readonly sql: Sql,
    private readonly metrics: DarkroomMetrics,
  ) {}

  onModuleInit(): void {
    const open = async () => {
      const { rows } = await this.sql.query<{ reservations: number; credits: string }>(
        `SELECT count(*)::int AS reservations, coalesce(sum(amount), 0)::text AS credits
           FROM ledger_entries WHERE type = 'reserved' AND resolved_at IS NULL`,
      );
      return { reservations: rows[0]?.reservations ?? 0, credits: Number(rows[0]?.credits ?? 0) };
    };
    this.metrics.scrapeGauge('darkroom_credit_reservations_open', 'Credit reservations neither captured nor released.', [], async (set) =>
      set({}, (await open()).reservations),
    );
    this.metrics.scrapeGauge('darkroom_credits_reserved', 'Credits held by open reservations.', [], async (set) =>
      set({}, (await open()).credits),
    );
  }
}
