import 'reflect-metadata';
import { resolve } from 'node:path';
import { DatabaseEnv, GatewayEnv, loadConfig, OutboundWebhooksEnv } from '@darkroom/config';
import { createDistributedPlatform, exitOnBootError, migrate, providerSetup, startApp } from '@darkroom/runtime';
import { GatewayModule, outboundWebhooksFromEnv, serveStudio, setupOpenApi, trustProxy } from '@darkroom/service-gateway';

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
  const env = loadConfig(GatewayEnv);
  const outboundWebhooks = outboundWebhooksFromEnv(loadConfig(OutboundWebhooksEnv), env.PORT);
  // Read before connecting: a bad catalog file stops the process with nothing to clean up.
  const { catalog, providers, webhookProviders, assetServing, images } = providerSetup(env);
  const platform = await createDistributedPlatform(env, 'gateway');
  await startApp({
    name: 'gateway',
    platform,
    modules: [
      GatewayModule.register({
        adminApiKey: env.ADMIN_API_KEY,
        rateLimit: { perMinute: env.RATE_LIMIT_PER_MINUTE, store: 'postgres' },
        catalog,
        providers,
        webhookProviders,
        assetServing,
        images,
        outboundWebhooks,
        publicBaseUrl: outboundWebhooks.publicBaseUrl,
        idempotencyKeyTtlHours: env.IDEMPOTENCY_KEY_TTL_HOURS,
        openaiCompat: { timeoutSeconds: env.OPENAI_COMPAT_TIMEOUT_SECONDS, defaultModel: env.OPENAI_COMPAT_DEFAULT_MODEL },
        stream: { pollIntervalMs: env.STREAM_POLL_INTERVAL_MS, heartbeatMs: env.STREAM_HEARTBEAT_SECONDS * 1000 },
      }),
    ],
    configure: (app) => {
      trustProxy(app, env.TRUST_PROXY);
      setupOpenApi(app);
      // The Studio's static files, built next to this bundle (dist/apps/studio); users paste their own key.
      serveStudio(app, { root: resolve(__dirname, '../studio') });
    },
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
  });
}

main().catch(exitOnBootError);
