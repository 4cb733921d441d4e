import 'reflect-metadata';
import { DatabaseEnv, GatewayEnv, loadConfig } from '@darkroom/config';
import { createDistributedPlatform, exitOnBootError, migrate, providerSetup, startApp } from '@darkroom/runtime';
import { GatewayModule } from '@darkroom/service-gateway';

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
  // Read before connecting: a bad catalog file stops the process with nothing to clean up.
  const { catalog, providers, webhookProviders, assetServing } = providerSetup(env);
  const platform = await createDistributedPlatform(env, 'gateway');
  await startApp({
    name: 'gateway',
    platform,
    modules: [
      GatewayModule.register({
        adminApiKey: env.ADMIN_API_KEY,
        catalog,
        providers,
        webhookProviders,
        assetServing,
      }),
    ],
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
  });
}

main().catch(exitOnBootError);
