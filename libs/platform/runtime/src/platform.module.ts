import { Global, Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { DarkroomMetrics } from '@darkroom/observability';
import { METRICS_TOKEN, MetricsController } from './metrics.controller';
import type { Platform } from './platform';
import { PlatformMetrics } from './platform-metrics';
import { ReadinessService } from './readiness.service';
import { CLOCK, COMMIT_SIGNAL, EVENT_STORE, MESSAGE_BUS, OBJECT_STORAGE, PLATFORM, SQL } from './tokens';
import { RelayHost } from './relay.host';

/**
 * Provides the platform ports to every module of the app, hosts the relay, and serves the
 * process's `/metrics` (one registry per process, labelled `service`).
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(platform: Platform, service = 'darkroom', options: { readonly metricsToken?: string } = {}): DynamicModule {
    return {
      module: PlatformModule,
      imports: [DiscoveryModule],
      controllers: [MetricsController],
      providers: [
        { provide: DarkroomMetrics, useValue: new DarkroomMetrics(service) },
        { provide: METRICS_TOKEN, useValue: options.metricsToken },
        ReadinessService,
        PlatformMetrics,
        { provide: PLATFORM, useValue: platform },
        { provide: SQL, useValue: platform.sql },
        { provide: EVENT_STORE, useValue: platform.store },
        { provide: MESSAGE_BUS, useValue: platform.bus },
        { provide: OBJECT_STORAGE, useValue: platform.objects },
        { provide: CLOCK, useValue: platform.clock },
        { provide: COMMIT_SIGNAL, useValue: platform.commits },
        RelayHost,
      ],
      exports: [PLATFORM, SQL, EVENT_STORE, MESSAGE_BUS, OBJECT_STORAGE, CLOCK, COMMIT_SIGNAL, DarkroomMetrics, ReadinessService],
    };
  }
}
