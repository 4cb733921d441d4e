import { Global, Module } from '@nestjs/common';
import { CreditGrants } from '@darkroom/contracts';
import { CreditGrantsService } from './credit-grants.service';

/**
 * The `CreditGrants` port for the processes that mount the admin routes (the gateway, the
 * embedded app): the ledger's code writes its own stream wherever it runs. Global, so the
 * gateway's controllers ask for the port without knowing which lib provides it.
 */
@Global()
@Module({
  providers: [{ provide: CreditGrants, useClass: CreditGrantsService }],
  exports: [CreditGrants],
})
export class CreditGrantsModule {}
