import 'reflect-metadata';
import { loadConfig, PlatformEnv } from '@darkroom/config';
import { createDistributedPlatform, exitOnBootError, providerSetup, startApp } from '@darkroom/runtime';
import { GenerationModule } from '@darkroom/service-generation';

/** The generation service as its own process (DESIGN §1); configured by environment only. */
async function main(): Promise<void> {
  const env = loadConfig(PlatformEnv);
  const platform = await createDistributedPlatform(env, 'generation');
  const { catalog } = providerSetup(env);
  await startApp({
    name: 'generation',
    platform,
    modules: [GenerationModule.register({ catalog, sweepIntervalMs: env.DEADLINE_SWEEP_INTERVAL_MS })],
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
  });
}

main().catch(exitOnBootError);
