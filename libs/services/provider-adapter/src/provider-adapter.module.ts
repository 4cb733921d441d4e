import { Module, type DynamicModule } from '@nestjs/common';
import { LocalRenderer, ModelCatalog } from '@darkroom/providers';
import { ProviderAdapterHandlers } from './provider-adapter.handlers';
import { ProviderRegistry } from './provider-registry';

export interface ProviderAdapterOptions {
  /** Honour the local renderer's `[fail]` / `[slow]` prompt markers (tests only). */
  readonly localTestMarkers: boolean;
}

@Module({})
export class ProviderAdapterModule {
  static register(options: ProviderAdapterOptions): DynamicModule {
    return {
      module: ProviderAdapterModule,
      controllers: [ProviderAdapterHandlers],
      providers: [
        { provide: ModelCatalog, useFactory: () => new ModelCatalog() },
        {
          provide: ProviderRegistry,
          useFactory: () => new ProviderRegistry([new LocalRenderer({ testMarkers: options.localTestMarkers })]),
        },
      ],
    };
  }
}
