import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { Platform } from './platform';
import { CLOCK, EVENT_STORE, MESSAGE_BUS, OBJECT_STORAGE, PLATFORM, SQL } from './tokens';
import { RelayHost } from './relay.host';

/** Provides the platform ports to every module of the app and hosts the relay. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(platform: Platform): DynamicModule {
    return {
      module: PlatformModule,
      providers: [
        { provide: PLATFORM, useValue: platform },
        { provide: SQL, useValue: platform.sql },
        { provide: EVENT_STORE, useValue: platform.store },
        { provide: MESSAGE_BUS, useValue: platform.bus },
        { provide: OBJECT_STORAGE, useValue: platform.objects },
        { provide: CLOCK, useValue: platform.clock },
        RelayHost,
      ],
      exports: [PLATFORM, SQL, EVENT_STORE, MESSAGE_BUS, OBJECT_STORAGE, CLOCK],
    };
  }
}
