import { Inject, Injectable, Module } from '@nestjs/common';
import { PLATFORM, ProjectionHost, type Platform } from '@darkroom/runtime';
import { assetProjection } from './assets/asset.projection';
import { StorageHandlers } from './storage.handlers';

@Injectable()
class StorageProjections extends ProjectionHost {
  constructor(@Inject(PLATFORM) platform: Platform) {
    super(platform, [assetProjection as never]);
  }
}

@Module({ controllers: [StorageHandlers], providers: [StorageProjections] })
export class StorageModule {}
