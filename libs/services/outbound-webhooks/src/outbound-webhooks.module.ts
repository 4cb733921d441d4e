import { hostname } from 'node:os';
import { DarkroomMetrics } from '@darkroom/observability';
import { Module, type DynamicModule } from '@nestjs/common';
import { WebhookEndpoints } from '@darkroom/contracts';
import type { CommitSignal } from '@darkroom/event-store';
import { newId, type Clock } from '@darkroom/kernel';
import { CLOCK, COMMIT_SIGNAL } from '@darkroom/runtime';
import { SafePoster } from '@darkroom/safe-fetch';
import { DEFAULT_OUTBOUND_WEBHOOKS, OUTBOUND_WEBHOOKS_OPTIONS, type OutboundWebhooksOptions } from './outbound-webhooks.options';
import { OutboundWebhooksHandlers } from './outbound-webhooks.handlers';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { WebhookEndpointsService } from './webhook-endpoints.service';

/**
 * Outbound webhooks (decision 0011): the bus consumer that turns task events into deliveries,
 * the dispatcher that sends them, and the `WebhookEndpoints` port the HTTP edge's routes call
 * (global, so the gateway module resolves it from whichever app composes both).
 */
@Module({})
export class OutboundWebhooksModule {
  static register(options: OutboundWebhooksOptions = DEFAULT_OUTBOUND_WEBHOOKS): DynamicModule {
    return {
      module: OutboundWebhooksModule,
      global: true,
      controllers: [OutboundWebhooksHandlers],
      providers: [
        { provide: OUTBOUND_WEBHOOKS_OPTIONS, useValue: options },
        { provide: SafePoster, useValue: new SafePoster({ testHosts: options.httpHosts, timeoutMs: options.timeoutMs }) },
        WebhookEndpointsRepository,
        WebhookDeliveriesRepository,
        WebhookEndpointsService,
        { provide: WebhookEndpoints, useExisting: WebhookEndpointsService },
        {
          provide: WebhookDispatcher,
          inject: [WebhookDeliveriesRepository, SafePoster, CLOCK, { token: COMMIT_SIGNAL, optional: true }, { token: DarkroomMetrics, optional: true }],
          useFactory: (deliveries: WebhookDeliveriesRepository, poster: SafePoster, clock: Clock, commits?: CommitSignal, metrics?: DarkroomMetrics) =>
            new WebhookDispatcher(deliveries, poster, {
              owner: `${hostname()}:${process.pid}:${newId().slice(0, 8)}`,
              idleMs: options.idleMs ?? 250,
              maxInFlight: options.maxInFlight ?? 32,
              timeoutMs: options.timeoutMs,
              scheduleMs: options.retryScheduleMs,
              disableAfterMs: options.disableAfterMs,
              clock,
              commits,
              metrics,
            }),
        },
      ],
      exports: [WebhookEndpoints],
    };
  }
}
