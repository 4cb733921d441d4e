import { Transform } from 'class-transformer';
import { IsInt, IsNumber, IsOptional, IsPositive, IsString, Matches, Max, Min } from 'class-validator';

const toNumber = ({ value }: { value: unknown }) =>
  typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value;

/**
 * Outbound webhooks to API consumers (gateway; the embedded process reads it too). Loaded
 * next to the gateway's own settings with `loadConfig(OutboundWebhooksEnv)`.
 */
export class OutboundWebhooksEnv {
  /**
   * darkroom's public URL as API consumers reach it; asset URLs in webhook payloads start
   * with it. Unset: `http://127.0.0.1:<PORT>`.
   */
  @IsOptional() @Matches(/^https?:\/\/[^\s?#]+$/, { message: 'must be an http(s):// URL without query or fragment' })
  PUBLIC_BASE_URL?: string;

  /**
   * Seconds to wait before each retry of a failed delivery, comma-separated; after the last
   * one the delivery is `failed`. Default: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (≈ 28 h).
   */
  @IsOptional()
  @Matches(/^\s*\d+(\.\d+)?(\s*,\s*\d+(\.\d+)?)*\s*$/, { message: 'must be comma-separated seconds, e.g. "5,300,1800"' })
  OUTBOUND_WEBHOOK_RETRY_SCHEDULE = '5,300,1800,7200,18000,36000,36000';

  /** An endpoint whose deliveries have failed without a success for this long is disabled (fractions allowed). */
  @IsOptional() @Transform(toNumber) @IsNumber({ allowNaN: false, allowInfinity: false }) @IsPositive()
  OUTBOUND_WEBHOOK_DISABLE_AFTER_SECONDS = 5 * 24 * 3600;

  /** Longest one delivery attempt may take, connect to last byte. */
  @IsOptional() @Transform(toNumber) @IsInt() @Min(100) @Max(120_000) OUTBOUND_WEBHOOK_TIMEOUT_MS = 15_000;

  /**
   * Tests only: `host:port` receivers that may be plain http and on loopback,
   * comma-separated. Empty in production: endpoints are https on public addresses.
   */
  @IsOptional() @IsString() OUTBOUND_WEBHOOK_HTTP_HOSTS = '';

  /**
   * Keys of the signed asset URLs that work without a header (`<img src>`), comma-separated,
   * each at least 16 characters: the first signs, every one verifies (keep the previous one
   * listed while rotating; dropping a key revokes every URL it signed). Unset: a key derived
   * from `ADMIN_API_KEY`, so rotating that revokes them too.
   */
  @IsOptional()
  @Matches(/^[^,\s]{16,}(,[^,\s]{16,})*$/, { message: 'must be comma-separated keys of at least 16 characters, no spaces' })
  ASSET_URL_SIGNING_KEYS?: string;

  /** Lifetime of the signed asset URLs in webhook payloads and the OpenAI façade's `url`. */
  @IsOptional() @Transform(toNumber) @IsInt() @Min(60) @Max(604_800) SIGNED_ASSET_URL_TTL_SECONDS = 3600;
}

/** `OUTBOUND_WEBHOOK_RETRY_SCHEDULE` as milliseconds. */
export const retryScheduleMs = (env: Pick<OutboundWebhooksEnv, 'OUTBOUND_WEBHOOK_RETRY_SCHEDULE'>): number[] =>
  env.OUTBOUND_WEBHOOK_RETRY_SCHEDULE.split(',').map((seconds) => Math.round(Number(seconds.trim()) * 1000));
