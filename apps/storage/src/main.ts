import 'reflect-metadata';
import { loadConfig, PlatformEnv } from '@darkroom/config';
import { createDistributedPlatform, exitOnBootError, providerSetup, startApp } from '@darkroom/runtime';
import { StorageModule } from '@darkroom/service-storage';

/** The storage service as its own process (DESIGN §1); configured by environment only. */
async function main(): Promise<void> {
  const env = loadConfig(PlatformEnv);
  const platform = await createDistributedPlatform(env, 'storage');
  const { httpHosts } = providerSetup(env);
  await startApp({
    name: 'storage',
    platform,
    modules: [StorageModule.register({ httpHosts })],
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
  });
}

main().catch(exitOnBootError);
