import 'reflect-metadata';
import { resolve } from 'node:path';
import { creditAccountStream } from '@darkroom/contracts';
import { EmbeddedEnv, loadConfig, OutboundWebhooksEnv } from '@darkroom/config';
import { creditAccountDecider } from '@darkroom/domain-ledger';
import { deriveId } from '@darkroom/kernel';
import { createEmbeddedPlatform, exitOnBootError, providerSetup, startApp } from '@darkroom/runtime';
import { AccountsRepository, GatewayModule, outboundWebhooksFromEnv, serveStudio, setupOpenApi } from '@darkroom/service-gateway';
import { GenerationModule } from '@darkroom/service-generation';
import { LEDGER, LEDGER_CONSUMER, LedgerModule } from '@darkroom/service-ledger';
import { ProviderAdapterModule } from '@darkroom/service-provider-adapter';
import { STORAGE, STORAGE_CONSUMER, StorageModule } from '@darkroom/service-storage';
import { loadOrCreateDevCredentials } from './dev-credentials';

const DEV_CREDITS = 100;

/** All five services in one process with embedded PostgreSQL, bus and bucket (DESIGN §10). */
async function main(): Promise<void> {
  const env = loadConfig(EmbeddedEnv);
  const outboundWebhooks = outboundWebhooksFromEnv(loadConfig(OutboundWebhooksEnv), env.PORT);
  const dataDir = resolve(env.DARKROOM_DATA_DIR);
  // Read before the platform starts: a bad catalog file stops the process with nothing to clean up.
  // The bucket's address is not handed out unless asked for (issue 14): assets stream through the gateway.
  const providers = providerSetup(env, { assetDelivery: 'proxy' });
  const platform = await createEmbeddedPlatform({ dataDir });
  const dev = await loadOrCreateDevCredentials(dataDir);
  const app = await startApp({
    name: 'darkroom',
    platform,
    modules: [
      GatewayModule.register({
        adminApiKey: dev.adminKey,
        rateLimit: { perMinute: env.RATE_LIMIT_PER_MINUTE, store: 'memory' },
        ...providers,
        outboundWebhooks,
        publicBaseUrl: outboundWebhooks.publicBaseUrl,
        idempotencyKeyTtlHours: env.IDEMPOTENCY_KEY_TTL_HOURS,
        openaiCompat: { timeoutSeconds: env.OPENAI_COMPAT_TIMEOUT_SECONDS, defaultModel: env.OPENAI_COMPAT_DEFAULT_MODEL },
        stream: { pollIntervalMs: env.STREAM_POLL_INTERVAL_MS, heartbeatMs: env.STREAM_HEARTBEAT_SECONDS * 1000 },
      }),
      GenerationModule.register({ catalog: providers.catalog, sweepIntervalMs: env.DEADLINE_SWEEP_INTERVAL_MS }),
      LedgerModule.register({
        reservationMaxAgeSeconds: env.LEDGER_RESERVATION_MAX_AGE_SECONDS,
        sweepIntervalMs: env.LEDGER_SWEEP_INTERVAL_MS,
      }),
      ProviderAdapterModule.register(providers),
      StorageModule.register({
        httpHosts: providers.httpHosts,
        catalog: providers.catalog,
        moderation: providers.moderation,
        images: providers.images,
        retention: { defaultDays: env.ASSET_RETENTION_DAYS, sweepIntervalMs: env.RETENTION_SWEEP_INTERVAL_MS },
      }),
    ],
    consumerOptions: { [STORAGE]: STORAGE_CONSUMER, [LEDGER]: LEDGER_CONSUMER },
    configure: (nest) => {
      setupOpenApi(nest);
      // The Studio is built next to this bundle (dist/apps/studio) and opens with the dev key filled in.
      serveStudio(nest, { root: resolve(__dirname, '../studio'), devApiKey: dev.apiKey });
    },
    port: env.PORT,
    host: '127.0.0.1',
    logLevel: env.LOG_LEVEL,
    defaultLogFormat: 'text',
  });

  const accounts = app.get(AccountsRepository);
  await accounts.createAccount('dev', dev.accountId);
  await accounts.registerKey(dev.accountId, dev.apiKey);
  // A fixed grant id: restarting grants nothing more.
  const grantId = deriveId('dev-grant', dev.accountId);
  const stream = creditAccountStream(dev.accountId);
  await platform.store.handleSubject(
    stream,
    creditAccountDecider,
    { type: 'GrantCredits', accountId: dev.accountId, grantId, amount: DEV_CREDITS, reason: 'dev account', now: new Date().toISOString() },
    { metadata: { correlationId: grantId, accountId: dev.accountId, schemaVersion: 1 }, eventId: (i) => deriveId(grantId, i) },
  );

  const url = `http://127.0.0.1:${env.PORT}`;
  console.log(`
darkroom is running at ${url} (data in ${dataDir})
Studio:        ${url}/  (open it in a browser; the dev key is filled in)
Dev API key:   ${dev.apiKey}
Admin key:     ${dev.adminKey}

Try it:
  curl -s -X POST ${url}/v1/generations -H "Authorization: Bearer ${dev.apiKey}" \\
    -H "Content-Type: application/json" -d '{"model":"local","prompt":"a lighthouse at dusk","size":"512x512"}'
`);
}

main().catch(exitOnBootError);
