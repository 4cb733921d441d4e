import 'reflect-metadata';
import { resolve } from 'node:path';
import { CreditGrants } from '@darkroom/contracts';
import { EmbeddedEnv, loadConfig, OutboundWebhooksEnv } from '@darkroom/config';
import { deriveId } from '@darkroom/kernel';
import { providerSetup, ProvidersEnv } from '@darkroom/providers';
import { creditBalanceProjection } from '@darkroom/read-model-credit-balances';
import { createEmbeddedPlatform, drainBudgetMs, exitOnBootError, ReadinessService, startApp } from '@darkroom/runtime';
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
import { orphanSweepOptions, retentionOptions, STORAGE, STORAGE_CONSUMER, StorageEnv, StorageModule } from '@darkroom/service-storage';
import { loadOrCreateDevCredentials, recordInstance } from './dev-credentials';

const DEV_CREDITS = 100;

/** All five services in one process with embedded PostgreSQL, bus and bucket (DESIGN §10). */
async function main(): Promise<void> {
  sizeThreadPoolForUploads();
  const env = loadConfig(EmbeddedEnv);
  const gateway = loadConfig(GatewayEnv);
  const webhooksEnv = loadConfig(OutboundWebhooksEnv);
  const [generation, ledger, storage] = [loadConfig(GenerationEnv), loadConfig(LedgerEnv), loadConfig(StorageEnv)];
  const dataDir = resolve(env.DARKROOM_DATA_DIR);
  // Read before the platform starts: a bad catalog file stops the process with nothing to clean up.
  const providers = providerSetup(loadConfig(ProvidersEnv));
  const platform = await createEmbeddedPlatform({ dataDir });
  const dev = await loadOrCreateDevCredentials(dataDir);
  const outboundWebhooks = outboundWebhooksFromEnv(webhooksEnv, env.PORT, dev.adminKey);
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
        assetUrls: outboundWebhooks.assetUrls,
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
        orphans: orphanSweepOptions(storage),
      }),
    ],
    consumerOptions: { [STORAGE]: STORAGE_CONSUMER, [LEDGER]: LEDGER_CONSUMER },
    configure: (nest) => {
      // Ready means ready to serve the printed curl line: the dev account's credits are visible.
      nest.get(ReadinessService).addCheck('dev_account', async () => {
        const balance = await creditBalanceProjection.load(platform.sql, dev.accountId);
        return (balance?.granted ?? 0) > 0 ? { ok: true } : { ok: false, detail: 'the dev account’s credits are not visible yet' };
      });
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
  const readiness = app.get(ReadinessService);
  while ((await readiness.readiness()).status !== 'ready') await new Promise((resolve) => setTimeout(resolve, 50));
  // `npm run admin` finds this instance (and its admin key) by these files.
  await recordInstance(dataDir, { url, pid: process.pid });
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
