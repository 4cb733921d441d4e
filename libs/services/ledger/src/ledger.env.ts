import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { toInt } from '@darkroom/config';
import type { LedgerOptions } from './ledger.module';

/** The ledger's settings, loaded by the app that hosts it with `loadConfig(LedgerEnv)`. */
export class LedgerEnv {
  /**
   * The ledger's backstop: a credit reservation still open this many seconds after it was made
   * (its task's capture or release never arrived) is released with reason `expired`. Keep it well
   * above the longest model deadline (the shipped catalog's is 900 s).
   */
  @IsOptional() @Transform(toInt) @IsInt() @Min(60) @Max(31_536_000) LEDGER_RESERVATION_MAX_AGE_SECONDS = 21_600;
  /** How often the ledger looks for reservations past LEDGER_RESERVATION_MAX_AGE_SECONDS. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(86_400_000) LEDGER_SWEEP_INTERVAL_MS = 60_000;
}

export const ledgerOptions = (env: LedgerEnv): LedgerOptions => ({
  reservationMaxAgeSeconds: env.LEDGER_RESERVATION_MAX_AGE_SECONDS,
  sweepIntervalMs: env.LEDGER_SWEEP_INTERVAL_MS,
});
