import { Module } from '@nestjs/common';
import { LocalRenderer, ModelCatalog } from '@darkroom/providers';
import { ProviderAdapterHandlers } from './provider-adapter.handlers';
import { ProviderRegistry } from './provider-registry';

@Module({
  controllers: [ProviderAdapterHandlers],
  providers: [
    { provide: ModelCatalog, useFactory: () => new ModelCatalog() },
    { provide: ProviderRegistry, useFactory: () => new ProviderRegistry([new LocalRenderer()]) },
  ],
})
export class ProviderAdapterModule {}
