import 'reflect-metadata';
import { loadConfig, PlatformEnv } from '@darkroom/config';
import { providerSetup, ProvidersEnv } from '@darkroom/providers';
import { createDistributedPlatform, exitOnBootError, startApp } from '@darkroom/runtime';
import { orphanSweepOptions, retentionOptions, STORAGE, STORAGE_CONSUMER, StorageEnv, StorageModule } from '@darkroom/service-storage';

/** The storage service as its own process (DESIGN §1); configured by environment only. */
async function main(): Promise<void> {
  const env = loadConfig(PlatformEnv);
  const [storage, providers] = [loadConfig(StorageEnv), loadConfig(ProvidersEnv)];
  const platform = await createDistributedPlatform(env, 'storage');
  const { httpHosts, catalog, moderation, images } = providerSetup(providers);
  await startApp({
    name: 'storage',
    platform,
    modules: [
      StorageModule.register({
        httpHosts,
        catalog,
        moderation,
        images,
        retention: retentionOptions(storage),
        orphans: orphanSweepOptions(storage),
      }),
    ],
    consumerOptions: { [STORAGE]: STORAGE_CONSUMER },
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
  });
}

main().catch(exitOnBootError);
