import { Inject, Injectable, Module, type DynamicModule } from '@nestjs/common';
import type { Sql } from '@darkroom/database';
import type { EventStore } from '@darkroom/event-store';
import type { Clock } from '@darkroom/kernel';
import { CLOCK, EVENT_STORE, PLATFORM, ProjectionHost, SQL, type Platform } from '@darkroom/runtime';
import { creditBalanceProjection } from '@darkroom/read-model-credit-balances';
import { LedgerHandlers } from './ledger.handlers';
import { ledgerEntryProjection, ReservationMetrics } from '@darkroom/read-model-ledger-entries';
import { ReservationSweeper } from './reservation-sweeper';
import { keySpendUsageProjection, userSpendUsageProjection } from '@darkroom/read-model-spend-usage';

@Injectable()
class LedgerProjections extends ProjectionHost {
  constructor(@Inject(PLATFORM) platform: Platform) {
    super(platform, [creditBalanceProjection, ledgerEntryProjection, keySpendUsageProjection, userSpendUsageProjection]);
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
