import { creditAccountStream } from '@darkroom/contracts';
import type { Sql } from '@darkroom/database';
import { creditAccountDecider } from '@darkroom/domain-ledger';
import type { EventStore } from '@darkroom/event-store';
import { deriveId, type Clock } from '@darkroom/kernel';
import { PeriodicSweep } from '@darkroom/runtime';
import { withLogContext } from '@darkroom/logging';

/** Reservations expired per sweep; the next sweep takes the rest. */
const BATCH = 100;

export interface ReservationSweeperOptions {
  /** A reservation still open this long after it was made is released (reason `expired`). */
  readonly maxAgeSeconds: number;
  readonly intervalMs: number;
}

/**
 * The backstop of the two-phase ledger: releases reservations whose task never settled
 * (a capture or release lost upstream), so held credits come back. It reads candidates from
 * `ledger_entries` and lets the decider decide: one captured or released meanwhile, or one
 * another ledger instance expired first, decides nothing (writers of a stream queue on its
 * lock, and the event ids are derived, so a race appends nothing twice).
 */
export class ReservationSweeper extends PeriodicSweep {
  constructor(
    private readonly sql: Sql,
    private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly options: ReservationSweeperOptions,
  ) {
    super(options.intervalMs);
  }

  protected summary(expired: number): string {
    return `expired ${expired} reservation(s) open past ${this.options.maxAgeSeconds} s`;
  }

  /** One pass; resolves with how many reservations it released. */
  async sweep(): Promise<number> {
    const now = this.clock.now();
    const cutoff = new Date(now.getTime() - this.options.maxAgeSeconds * 1000);
    const { rows } = await this.sql.query<{ account_id: string; task_id: string }>(
      `SELECT account_id, task_id FROM ledger_entries
        WHERE type = 'reserved' AND resolved_at IS NULL AND created_at <= $1
        ORDER BY created_at LIMIT ${BATCH}`,
      [cutoff],
    );
    let expired = 0;
    for (const { account_id: accountId, task_id: reservationId } of rows) {
      const context = { taskId: reservationId, correlationId: reservationId, accountId };
      if (await withLogContext(context, () => this.expire(accountId, reservationId, now))) expired += 1;
    }
    return expired;
  }

  /** Releases one reservation if it is open and old enough; true when it did. */
  async expire(accountId: string, reservationId: string, now = this.clock.now()): Promise<boolean> {
    const { events } = await this.store.handleSubject(
      creditAccountStream(accountId),
      creditAccountDecider,
      { type: 'ExpireReservation', accountId, reservationId, maxAgeSeconds: this.options.maxAgeSeconds, now: now.toISOString() },
      {
        metadata: { correlationId: reservationId, accountId, schemaVersion: 1 },
        eventId: (index, type) => deriveId('ledger-expiry', accountId, reservationId, type, index),
      },
    );
    if (events.length > 0) this.logger.warn(`[${reservationId}] reservation expired after ${this.options.maxAgeSeconds} s`);
    return events.length > 0;
  }
}
