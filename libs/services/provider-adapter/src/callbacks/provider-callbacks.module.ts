import { Module, type DynamicModule } from '@nestjs/common';
import { ProviderCallbacks } from '@darkroom/contracts';
import { PROVIDER_CALLBACK_OPTIONS, type ProviderCallbackOptions } from './provider-callback.options';
import { ProviderCallbacksService } from './provider-callbacks.service';

/**
 * The `ProviderCallbacks` port for the process that mounts `/webhooks/providers/*` (the
 * gateway, the embedded app): the route is the edge's, the check of the signature and the
 * provider-job events are the provider-adapter's. Global, so the gateway's controller asks for
 * the port without knowing which lib provides it.
 */
@Module({})
export class ProviderCallbacksModule {
  static register(options: ProviderCallbackOptions): DynamicModule {
    return {
      module: ProviderCallbacksModule,
      global: true,
      providers: [{ provide: PROVIDER_CALLBACK_OPTIONS, useValue: options }, { provide: ProviderCallbacks, useClass: ProviderCallbacksService }],
      exports: [ProviderCallbacks],
    };
  }
}
