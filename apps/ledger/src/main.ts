import 'reflect-metadata';
import { loadConfig, PlatformEnv } from '@darkroom/config';
import { createDistributedPlatform, exitOnBootError, startApp } from '@darkroom/runtime';
import { LEDGER, LEDGER_CONSUMER, LedgerEnv, LedgerModule, ledgerOptions } from '@darkroom/service-ledger';

/** The ledger service as its own process (DESIGN §1); configured by environment only. */
async function main(): Promise<void> {
  const env = loadConfig(PlatformEnv);
  const ledger = LedgerModule.register(ledgerOptions(loadConfig(LedgerEnv)));
  const platform = await createDistributedPlatform(env, 'ledger', { bucket: false });
  await startApp({
    name: 'ledger',
    platform,
    modules: [ledger],
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    consumerOptions: { [LEDGER]: LEDGER_CONSUMER },
  });
}

main().catch(exitOnBootError);
