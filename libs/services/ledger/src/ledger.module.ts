import { Inject, Injectable, Module } from '@nestjs/common';
import { PLATFORM, ProjectionHost, type Platform } from '@darkroom/runtime';
import { creditBalanceProjection } from './credit-balances/credit-balance.projection';
import { LedgerHandlers } from './ledger.handlers';

@Injectable()
class LedgerProjections extends ProjectionHost {
  constructor(@Inject(PLATFORM) platform: Platform) {
    super(platform, [creditBalanceProjection as never]);
  }
}

@Module({ controllers: [LedgerHandlers], providers: [LedgerProjections] })
export class LedgerModule {}
