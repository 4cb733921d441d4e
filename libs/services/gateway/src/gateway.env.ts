import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { toInt } from '@darkroom/config';
import type { AssetServing } from './assets/asset-delivery';
import type { GatewayOptions } from './gateway.options';
import type { RateLimitSettings } from './http/rate-limit/rate-limit.service';

/**
 * The gateway's settings, loaded by the app that hosts it with `loadConfig(GatewayEnv)`
 * (the distributed gateway adds `AdminApiKeyEnv`; the embedded process makes its own key).
 */
export class GatewayEnv {
  /**
   * Requests per API key per minute; 0 turns limiting off. Counted across every gateway
   * (PostgreSQL), or in memory by the embedded process.
   */
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(100_000_000) RATE_LIMIT_PER_MINUTE = 600;

  /**
   * How `GET /v1/assets/{id}` hands out an image once the caller's ownership is checked:
   * `redirect` (302 to a presigned GET, or to ASSET_PUBLIC_BASE_URL when set) or `proxy`
   * (the gateway streams the bytes itself), for browsers that cannot reach the bucket, e.g.
   * the embedded mode's s3rver, which listens on loopback and sends no CORS headers.
   */
  @IsOptional() @IsIn(['redirect', 'proxy']) ASSET_DELIVERY: 'redirect' | 'proxy' = 'redirect';
  /** Seconds a presigned asset URL stays valid; the redirect to it is cached for less. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(10) @Max(604800) ASSET_URL_TTL_SECONDS = 300;
  /**
   * A CDN (or public bucket) domain serving the bucket's keys, e.g. https://img.example.com;
   * assets then redirect to the stable `${ASSET_PUBLIC_BASE_URL}/${key}` instead of a presigned URL.
   */
  @IsOptional() @Matches(/^https?:\/\/[^\s?#]+$/, { message: 'must be an http(s):// URL without query or fragment' })
  ASSET_PUBLIC_BASE_URL?: string;

  /** Hours an `Idempotency-Key` and its first response are kept (gateway); fractions allowed. */
  @IsOptional() @Transform(toInt) @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0.01) @Max(8760)
  IDEMPOTENCY_KEY_TTL_HOURS = 24;
  /** Seconds `POST /v1/images/*` waits for its task before a 504 naming the task id. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(3600) OPENAI_COMPAT_TIMEOUT_SECONDS = 120;
  /** Catalog id `POST /v1/images/*` uses when a request names no model. */
  @IsOptional() @IsString() @MinLength(1) OPENAI_COMPAT_DEFAULT_MODEL = 'gpt-image-1';
  /** How often the gateway checks the tasks of open status streams (`GET /v1/generations/{id}/stream`) for changes. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(50) @Max(60_000) STREAM_POLL_INTERVAL_MS = 300;
  /** Seconds of silence after which a status stream sends a heartbeat comment, so proxies keep it open. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(3600) STREAM_HEARTBEAT_SECONDS = 15;
}

/** The distributed gateway's admin credential. */
export class AdminApiKeyEnv {
  @IsString()
  @MinLength(16, { message: 'must be at least 16 characters' })
  ADMIN_API_KEY!: string;
}

/** What `GatewayEnv` sets of the gateway's options; `rateLimitStore` is the hosting app's choice. */
export function gatewayOptionsFromEnv(
  env: GatewayEnv,
  rateLimitStore: RateLimitSettings['store'],
): Pick<GatewayOptions, 'rateLimit' | 'assetServing' | 'idempotencyKeyTtlHours' | 'openaiCompat' | 'stream'> {
  return {
    rateLimit: { perMinute: env.RATE_LIMIT_PER_MINUTE, store: rateLimitStore },
    assetServing: assetServing(env),
    idempotencyKeyTtlHours: env.IDEMPOTENCY_KEY_TTL_HOURS,
    openaiCompat: { timeoutSeconds: env.OPENAI_COMPAT_TIMEOUT_SECONDS, defaultModel: env.OPENAI_COMPAT_DEFAULT_MODEL },
    stream: { pollIntervalMs: env.STREAM_POLL_INTERVAL_MS, heartbeatMs: env.STREAM_HEARTBEAT_SECONDS * 1000 },
  };
}

/** `ASSET_DELIVERY=proxy` wins: it is the explicit opt-out of sending clients to the bucket. */
function assetServing(env: GatewayEnv): AssetServing {
  if (env.ASSET_DELIVERY === 'proxy') return { mode: 'proxy' };
  if (env.ASSET_PUBLIC_BASE_URL) return { mode: 'public', baseUrl: env.ASSET_PUBLIC_BASE_URL.replace(/\/+$/, '') };
  return { mode: 'presigned', ttlSeconds: env.ASSET_URL_TTL_SECONDS };
}
