import 'reflect-metadata';
import { resolve } from 'node:path';
import { Module } from '@nestjs/common';
import { DatabaseEnv, loadConfig, OutboundWebhooksEnv, PlatformEnv } from '@darkroom/config';
import { providerSetup, ProvidersEnv } from '@darkroom/providers';
import { createDistributedPlatform, exitOnBootError, migrate, startApp } from '@darkroom/runtime';
import {
  AdminApiKeyEnv,
  GatewayEnv,
  GatewayModule,
  gatewayOptionsFromEnv,
  serveStudio,
  setupOpenApi,
  sizeThreadPoolForUploads,
  trustProxy,
} from '@darkroom/service-gateway';
import { OutboundWebhooksModule, outboundWebhooksFromEnv } from '@darkroom/service-outbound-webhooks';
import { GenerationCommandsModule } from '@darkroom/service-generation';
import { CircuitMetrics, TaskMetrics } from '@darkroom/read-model-generations';
import { ReservationMetrics } from '@darkroom/read-model-ledger-entries';
import { CreditGrantsModule } from '@darkroom/service-ledger';
import { ProviderCallbacksModule } from '@darkroom/service-provider-adapter';

/** `darkroom_tasks`, the circuit-breaker and the open-reservation gauges on the gateway's /metrics too. */
@Module({ providers: [TaskMetrics, ReservationMetrics, CircuitMetrics] })
class ServiceGauges {}

/**
 * The public API as its own process (DESIGN §1); configured by environment only.
 * `main.js migrate` applies the schema migrations and exits.
 */
async function main(): Promise<void> {
  if (process.argv[2] === 'migrate') {
    const applied = await migrate(loadConfig(DatabaseEnv).DATABASE_URL);
    console.log(applied.length ? `Applied migrations: ${applied.join(', ')}` : 'Schema is up to date');
    return;
  }
  sizeThreadPoolForUploads();
  const env = loadConfig(PlatformEnv);
  const [gateway, { ADMIN_API_KEY }] = [loadConfig(GatewayEnv), loadConfig(AdminApiKeyEnv)];
  const outboundWebhooks = outboundWebhooksFromEnv(loadConfig(OutboundWebhooksEnv), env.PORT, ADMIN_API_KEY);
  // Read before connecting: a bad catalog file stops the process with nothing to clean up.
  const { catalog, providers, webhookProviders, images } = providerSetup(loadConfig(ProvidersEnv));
  const platform = await createDistributedPlatform(env, 'gateway');
  await startApp({
    name: 'gateway',
    platform,
    modules: [
      GatewayModule.register({
        adminApiKey: ADMIN_API_KEY,
        catalog,
        providers,
        images,
        ...gatewayOptionsFromEnv(gateway, 'postgres'),
        publicBaseUrl: outboundWebhooks.publicBaseUrl,
        assetUrls: outboundWebhooks.assetUrls,
      }),
      OutboundWebhooksModule.register(outboundWebhooks),
      // The writes behind the gateway's routes, each done by its stream's owner (decision 0022).
      GenerationCommandsModule,
      CreditGrantsModule,
      ProviderCallbacksModule.register({ providers, webhookProviders }),
      ServiceGauges,
    ],
    configure: (app) => {
      trustProxy(app, gateway.TRUST_PROXY);
      setupOpenApi(app);
      // The Studio's static files, built next to this bundle (dist/apps/studio); users paste their own key.
      serveStudio(app, { root: resolve(__dirname, '../studio') });
    },
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
  });
}

main().catch(exitOnBootError);
