import { hostname } from 'node:os';
import type { Provider } from '@nestjs/common';
import { newId, type Clock } from '@darkroom/kernel';
import { CLOCK } from '@darkroom/runtime';
import { SafePoster } from '@darkroom/safe-fetch';
import { OUTBOUND_WEBHOOKS_OPTIONS, type OutboundWebhooksOptions } from './outbound-webhooks.options';
import { OutboundWebhooksHandlers } from './outbound-webhooks.handlers';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookEndpointsController } from './webhook-endpoints.controller';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { WebhookEndpointsService } from './webhook-endpoints.service';

/** Controllers of outbound webhooks: the endpoints API and the bus consumer. */
export const OUTBOUND_WEBHOOK_CONTROLLERS = [WebhookEndpointsController, OutboundWebhooksHandlers];

/** Providers of outbound webhooks, for the gateway module. */
export function outboundWebhookProviders(options: OutboundWebhooksOptions): Provider[] {
  return [
    { provide: OUTBOUND_WEBHOOKS_OPTIONS, useValue: options },
    { provide: SafePoster, useValue: new SafePoster({ testHosts: options.httpHosts, timeoutMs: options.timeoutMs }) },
    WebhookEndpointsRepository,
    WebhookDeliveriesRepository,
    WebhookEndpointsService,
    {
      provide: WebhookDispatcher,
      inject: [WebhookDeliveriesRepository, SafePoster, CLOCK],
      useFactory: (deliveries: WebhookDeliveriesRepository, poster: SafePoster, clock: Clock) =>
        new WebhookDispatcher(deliveries, poster, {
          owner: `${hostname()}:${process.pid}:${newId().slice(0, 8)}`,
          idleMs: options.idleMs ?? 250,
          maxInFlight: options.maxInFlight ?? 32,
          timeoutMs: options.timeoutMs,
          scheduleMs: options.retryScheduleMs,
          disableAfterMs: options.disableAfterMs,
          clock,
        }),
    },
  ];
}
