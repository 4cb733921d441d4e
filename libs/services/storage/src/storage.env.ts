import { Transform } from 'class-transformer';
import { IsInt, IsNumber, IsOptional, IsPositive, Max, Min } from 'class-validator';
import { toInt } from '@darkroom/config';
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
}

export const retentionOptions = (env: StorageEnv): RetentionOptions => ({
  defaultDays: env.ASSET_RETENTION_DAYS,
  sweepIntervalMs: env.RETENTION_SWEEP_INTERVAL_MS,
});
