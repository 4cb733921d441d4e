import { Global, Module } from '@nestjs/common';
import { CreditGrants, CreditReservations, SpendCaps } from '@darkroom/contracts';
import { CreditReservationsService } from '../credit-reservations/credit-reservations.service';
import { SpendCapsService } from '../spend-caps/spend-caps.service';
import { CreditGrantsService } from './credit-grants.service';

/**
 * The ledger's ports (`CreditGrants`, `SpendCaps`, `CreditReservations`) for the processes that mount the admin routes (the gateway, the
 * embedded app): the ledger's code writes its own stream wherever it runs. Global, so the
 * gateway's controllers ask for the port without knowing which lib provides it.
 */
@Global()
@Module({
  providers: [
    { provide: CreditGrants, useClass: CreditGrantsService },
    { provide: SpendCaps, useClass: SpendCapsService },
    { provide: CreditReservations, useClass: CreditReservationsService },
  ],
  exports: [CreditGrants, SpendCaps, CreditReservations],
})
export class CreditGrantsModule {}
