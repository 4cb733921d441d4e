import 'reflect-metadata';
import { loadConfig, PlatformEnv } from '@darkroom/config';
import { createDistributedPlatform, exitOnBootError, startApp } from '@darkroom/runtime';
import { LEDGER, LEDGER_CONSUMER, LedgerModule } from '@darkroom/service-ledger';

/** The ledger service as its own process (DESIGN §1); configured by environment only. */
async function main(): Promise<void> {
  const env = loadConfig(PlatformEnv);
  const platform = await createDistributedPlatform(env, 'ledger');
  const ledger = LedgerModule.register({
    reservationMaxAgeSeconds: env.LEDGER_RESERVATION_MAX_AGE_SECONDS,
    sweepIntervalMs: env.LEDGER_SWEEP_INTERVAL_MS,
  });
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
