import 'reflect-metadata';
import { loadConfig, PlatformEnv } from '@darkroom/config';
import { providerSetup, ProvidersEnv } from '@darkroom/providers';
import { createDistributedPlatform, exitOnBootError, startApp } from '@darkroom/runtime';
import { circuitPolicy, GenerationEnv, GenerationModule } from '@darkroom/service-generation';

/** The generation service as its own process (DESIGN §1); configured by environment only. */
async function main(): Promise<void> {
  const env = loadConfig(PlatformEnv);
  const generation = loadConfig(GenerationEnv);
  const providers = loadConfig(ProvidersEnv);
  const platform = await createDistributedPlatform(env, 'generation', { bucket: false });
  const { catalog } = providerSetup(providers);
  await startApp({
    name: 'generation',
    platform,
    modules: [GenerationModule.register({ catalog, sweepIntervalMs: generation.DEADLINE_SWEEP_INTERVAL_MS, circuit: circuitPolicy(generation) })],
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
  });
}

main().catch(exitOnBootError);
