import { Inject, Injectable, Module, type DynamicModule } from '@nestjs/common';
import type { Sql } from '@darkroom/database';
import type { EventStore } from '@darkroom/event-store';
import type { Clock } from '@darkroom/kernel';
import { CLOCK, EVENT_STORE, PLATFORM, ProjectionHost, SQL, type Platform } from '@darkroom/runtime';
import { creditBalanceProjection } from './credit-balances/credit-balance.projection';
import { ledgerEntryProjection } from './ledger-entries/ledger-entry.projection';
import { LedgerHandlers } from './ledger.handlers';
import { ReservationMetrics } from './reservation-metrics';
import { ReservationSweeper } from './reservation-sweeper';

@Injectable()
class LedgerProjections extends ProjectionHost {
  constructor(@Inject(PLATFORM) platform: Platform) {
    super(platform, [creditBalanceProjection as never, ledgerEntryProjection as never]);
  }
}

export interface LedgerOptions {
  /** A reservation still open this long after it was made is released (default 6 h). */
  readonly reservationMaxAgeSeconds?: number;
  /** How often the sweeper looks for such reservations (default 60 s). */
  readonly sweepIntervalMs?: number;
}

@Module({})
export class LedgerModule {
  static register(options: LedgerOptions = {}): DynamicModule {
    return {
      module: LedgerModule,
      controllers: [LedgerHandlers],
      providers: [
        LedgerProjections,
        ReservationMetrics,
        {
          provide: ReservationSweeper,
          inject: [SQL, EVENT_STORE, CLOCK],
          useFactory: (sql: Sql, store: EventStore, clock: Clock) =>
            new ReservationSweeper(sql, store, clock, {
              maxAgeSeconds: options.reservationMaxAgeSeconds ?? 21_600,
              intervalMs: options.sweepIntervalMs ?? 60_000,
            }),
        },
      ],
    };
  }
}
