import 'reflect-metadata';
import { resolve } from 'node:path';
import { CreditGrants } from '@darkroom/contracts';
import { EmbeddedEnv, loadConfig, OutboundWebhooksEnv } from '@darkroom/config';
import { deriveId } from '@darkroom/kernel';
import { providerSetup, ProvidersEnv } from '@darkroom/providers';
import { createEmbeddedPlatform, drainBudgetMs, exitOnBootError, startApp } from '@darkroom/runtime';
import {
  AccountsRepository,
  GatewayEnv,
  GatewayModule,
  gatewayOptionsFromEnv,
  serveStudio,
  setupOpenApi,
  sizeThreadPoolForUploads,
} from '@darkroom/service-gateway';
import { circuitPolicy, GenerationCommandsModule, GenerationEnv, GenerationModule } from '@darkroom/service-generation';
import { CreditGrantsModule, LEDGER, LEDGER_CONSUMER, LedgerEnv, LedgerModule, ledgerOptions } from '@darkroom/service-ledger';
import { OutboundWebhooksModule, outboundWebhooksFromEnv } from '@darkroom/service-outbound-webhooks';
import { ProviderAdapterModule, ProviderCallbacksModule } from '@darkroom/service-provider-adapter';
import { retentionOptions, STORAGE, STORAGE_CONSUMER, StorageEnv, StorageModule } from '@darkroom/service-storage';
import { loadOrCreateDevCredentials } from './dev-credentials';

const DEV_CREDITS = 100;

/** All five services in one process with embedded PostgreSQL, bus and bucket (DESIGN §10). */
async function main(): Promise<void> {
  sizeThreadPoolForUploads();
  const env = loadConfig(EmbeddedEnv);
  const gateway = loadConfig(GatewayEnv);
  const outboundWebhooks = outboundWebhooksFromEnv(loadConfig(OutboundWebhooksEnv), env.PORT);
  const [generation, ledger, storage] = [loadConfig(GenerationEnv), loadConfig(LedgerEnv), loadConfig(StorageEnv)];
  const dataDir = resolve(env.DARKROOM_DATA_DIR);
  // Read before the platform starts: a bad catalog file stops the process with nothing to clean up.
  const providers = providerSetup(loadConfig(ProvidersEnv));
  const platform = await createEmbeddedPlatform({ dataDir });
  const dev = await loadOrCreateDevCredentials(dataDir);
  const app = await startApp({
    name: 'darkroom',
    platform,
    modules: [
      GatewayModule.register({
        adminApiKey: dev.adminKey,
        ...providers,
        // The bucket's address is not handed out unless asked for (issue 14): assets stream through the gateway.
        ...gatewayOptionsFromEnv(gateway, 'memory', 'proxy'),
        publicBaseUrl: outboundWebhooks.publicBaseUrl,
      }),
      GenerationCommandsModule,
      CreditGrantsModule,
      ProviderCallbacksModule.register(providers),
      OutboundWebhooksModule.register(outboundWebhooks),
      GenerationModule.register({ catalog: providers.catalog, sweepIntervalMs: generation.DEADLINE_SWEEP_INTERVAL_MS, circuit: circuitPolicy(generation) }),
      LedgerModule.register(ledgerOptions(ledger)),
      ProviderAdapterModule.register({ ...providers, drainMs: drainBudgetMs(env.SHUTDOWN_GRACE_MS) }),
      StorageModule.register({
        httpHosts: providers.httpHosts,
        catalog: providers.catalog,
        moderation: providers.moderation,
        images: providers.images,
        retention: retentionOptions(storage),
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
  await app.get(CreditGrants).grant({ grantId, accountId: dev.accountId, amount: DEV_CREDITS, reason: 'dev account' });

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
