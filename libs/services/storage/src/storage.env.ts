import { Transform } from 'class-transformer';
import { IsInt, IsNumber, IsOptional, IsPositive, Max, Min } from 'class-validator';
import { toInt } from '@darkroom/config';
import type { OrphanSweepOptions } from './retention/orphan-sweeper';
import type { RetentionOptions } from './storage.options';

/**
 * The storage service's own settings, loaded by the app that hosts it with
 * `loadConfig(StorageEnv)`. The decode budget and the moderation rules it applies are shared
 * with other services and come with the providers (`ProvidersEnv`).
 */
export class StorageEnv {
  /** Days assets are kept unless their account sets its own (`PATCH /admin/accounts/{id}`); fractions allowed. */
  @IsOptional() @Transform(toInt) @IsNumber({ allowNaN: false, allowInfinity: false }) @IsPositive() ASSET_RETENTION_DAYS = 30;
  /** How often storage deletes assets past their retention. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(86_400_000) RETENTION_SWEEP_INTERVAL_MS = 60_000;
  /**
   * Objects no event records (left by a crash between writing an object and recording it) are
   * deleted once older than this; at least an hour, so no store still in progress or waiting
   * for a retry is touched.
   */
  @IsOptional() @Transform(toInt) @IsInt() @Min(60) @Max(525_600) ORPHAN_GRACE_MINUTES = 1440;
  /** How often storage reads the next page of 1,000 keys looking for such objects. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1000) @Max(86_400_000) ORPHAN_SWEEP_INTERVAL_MS = 30_000;
}

export const orphanSweepOptions = (env: StorageEnv): OrphanSweepOptions => ({
  graceMs: env.ORPHAN_GRACE_MINUTES * 60_000,
  sweepIntervalMs: env.ORPHAN_SWEEP_INTERVAL_MS,
});

export const retentionOptions = (env: StorageEnv): RetentionOptions => ({
  defaultDays: env.ASSET_RETENTION_DAYS,
  sweepIntervalMs: env.RETENTION_SWEEP_INTERVAL_MS,
});
