import { Inject, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { PLATFORM, ProjectionHost, type Platform } from '@darkroom/runtime';
import { assetProjection } from './assets/asset.projection';
import { ResultFetcher } from './result-fetcher';
import { StorageHandlers } from './storage.handlers';

@Injectable()
class StorageProjections extends ProjectionHost {
  constructor(@Inject(PLATFORM) platform: Platform) {
    super(platform, [assetProjection as never]);
  }
}

export interface StorageOptions {
  /** host:port pairs whose result URLs may be fetched over plain http (test fakes); none in production. */
  readonly httpHosts: readonly string[];
}

@Module({})
export class StorageModule {
  static register(options: StorageOptions): DynamicModule {
    return {
      module: StorageModule,
      controllers: [StorageHandlers],
      providers: [StorageProjections, { provide: ResultFetcher, useValue: new ResultFetcher(new Set(options.httpHosts)) }],
    };
  }
}
