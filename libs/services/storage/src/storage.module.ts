import { Inject, Injectable, Module, type DynamicModule, type Provider } from '@nestjs/common';
import type { Sql } from '@darkroom/database';
import type { EventStore } from '@darkroom/event-store';
import type { Clock } from '@darkroom/kernel';
import type { ObjectStorage } from '@darkroom/object-storage';
import { ImageDecoder, MODERATION } from '@darkroom/providers';
import { CLOCK, EVENT_STORE, OBJECT_STORAGE, PLATFORM, ProjectionHost, SQL, type Platform } from '@darkroom/runtime';
import { SafeFetcher } from '@darkroom/safe-fetch';
import { assetProjection } from '@darkroom/read-model-assets';
import { OrphanSweeper, type OrphanSweepOptions } from './retention/orphan-sweeper';
import { RetentionSweeper } from './retention/retention-sweeper';
import { StagingCleanupHandlers } from './staging-cleanup.handlers';
import { StorageHandlers } from './storage.handlers';
import { type RetentionOptions, type StorageOptions } from './storage.options';

@Injectable()
class StorageProjections extends ProjectionHost {
  constructor(@Inject(PLATFORM) platform: Platform) {
    super(platform, [assetProjection]);
  }
}

@Module({})
export class StorageModule {
  static register(options: StorageOptions): DynamicModule {
    return {
      module: StorageModule,
      controllers: [StorageHandlers, StagingCleanupHandlers],
      providers: [
        StorageProjections,
        { provide: SafeFetcher, useValue: resultFetcher(options) },
        { provide: MODERATION, useValue: options.moderation },
        { provide: ImageDecoder, useValue: options.images ?? new ImageDecoder() },
        ...(options.retention ? [retentionSweeper(options.retention)] : []),
        ...(options.orphans ? [orphanSweeper(options.orphans)] : []),
      ],
    };
  }
}

/** Downloads result URLs from each provider's catalog `resultHosts` only (decision 0008). */
function resultFetcher({ catalog, httpHosts }: StorageOptions): SafeFetcher {
  const allowedHosts = Object.fromEntries(catalog.providerNames().map((provider) => [provider, catalog.resultHosts(provider)]));
  return new SafeFetcher({ allowedHosts, testHosts: httpHosts });
}

function orphanSweeper(orphans: OrphanSweepOptions): Provider {
  return {
    provide: OrphanSweeper,
    inject: [SQL, OBJECT_STORAGE, CLOCK],
    useFactory: (sql: Sql, objects: ObjectStorage, clock: Clock) => new OrphanSweeper(sql, objects, clock, orphans),
  };
}

function retentionSweeper(retention: RetentionOptions): Provider {
  return {
    provide: RetentionSweeper,
    inject: [SQL, EVENT_STORE, OBJECT_STORAGE, CLOCK],
    useFactory: (sql: Sql, store: EventStore, objects: ObjectStorage, clock: Clock) =>
      new RetentionSweeper(sql, store, objects, clock, retention),
  };
}
