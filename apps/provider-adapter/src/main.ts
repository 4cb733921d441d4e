import 'reflect-metadata';
import { loadConfig, PlatformEnv } from '@darkroom/config';
import { providerSetup, ProvidersEnv } from '@darkroom/providers';
import { createDistributedPlatform, drainBudgetMs, exitOnBootError, startApp } from '@darkroom/runtime';
import { ProviderAdapterModule } from '@darkroom/service-provider-adapter';

/** The provider-adapter service as its own process (DESIGN §1); configured by environment only. */
async function main(): Promise<void> {
  const env = loadConfig(PlatformEnv);
  const providers = loadConfig(ProvidersEnv);
  const platform = await createDistributedPlatform(env, 'provider-adapter');
  await startApp({
    name: 'provider-adapter',
    platform,
    modules: [ProviderAdapterModule.register({ ...providerSetup(providers), drainMs: drainBudgetMs(env.SHUTDOWN_GRACE_MS) })],
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
  });
}

main().catch(exitOnBootError);
