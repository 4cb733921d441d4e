import 'reflect-metadata';
import { loadConfig, PlatformEnv } from '@darkroom/config';
import { createDistributedPlatform, exitOnBootError, providerSetup, startApp } from '@darkroom/runtime';
import { STORAGE, STORAGE_CONSUMER, StorageModule } from '@darkroom/service-storage';

/** The storage service as its own process (DESIGN §1); configured by environment only. */
async function main(): Promise<void> {
  const env = loadConfig(PlatformEnv);
  const platform = await createDistributedPlatform(env, 'storage');
  const { httpHosts, catalog, moderation, images } = providerSetup(env);
  await startApp({
    name: 'storage',
    platform,
    modules: [
      StorageModule.register({
        httpHosts,
        catalog,
        moderation,
        images,
        retention: { defaultDays: env.ASSET_RETENTION_DAYS, sweepIntervalMs: env.RETENTION_SWEEP_INTERVAL_MS },
      }),
    ],
    consumerOptions: { [STORAGE]: STORAGE_CONSUMER },
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
  });
}

main().catch(exitOnBootError);
