import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { toInt } from '@darkroom/config';
import type { AssetServing } from './assets/asset-delivery';
import type { GatewayOptions } from './gateway.options';
import type { RateLimitSettings } from './gateway.options';
import { DEFAULT_FAILED_AUTH_PER_MINUTE } from './http/rate-limit/failed-auth-throttle';

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
   * Wrong API or admin keys one client address may present per minute before its requests
   * get 429 `too_many_failed_auth`; 0 turns the throttle off. Each gateway process counts its own.
   */
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(1_000_000) FAILED_AUTH_PER_MINUTE = DEFAULT_FAILED_AUTH_PER_MINUTE;

  /**
   * Keys of scoped tokens (`POST /v1/tokens`), comma-separated, each at least 16 characters:
   * the first signs, every one verifies; dropping a key revokes every token it signed. Unset: a
   * key derived from the admin key.
   */
  @IsOptional()
  @Matches(/^[^,\s]{16,}(,[^,\s]{16,})*$/, { message: 'must be comma-separated keys of at least 16 characters, no spaces' })
  TOKEN_SIGNING_KEYS?: string;

  /**
   * How `GET /v1/assets/{id}` hands out an image once the caller's ownership is checked:
   * `redirect` (302 to a presigned GET, or to ASSET_PUBLIC_BASE_URL when set) or `proxy`
   * (the gateway streams the bytes itself), for browsers that cannot reach the bucket, e.g.
   * the embedded mode's s3rver, which listens on loopback and sends no CORS headers.
   * Unset: `redirect`, except in the embedded mode, which hands out no bucket address unless
   * asked to: `proxy` there, or the CDN redirect when ASSET_PUBLIC_BASE_URL is set.
   */
  @IsOptional() @IsIn(['redirect', 'proxy']) ASSET_DELIVERY?: 'redirect' | 'proxy';
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
  /** Unset: `gpt-image-1` where OpenAI is configured, else `local` (always available). */
  @IsOptional() @IsString() @MinLength(1) OPENAI_COMPAT_DEFAULT_MODEL?: string;
  /** How often the gateway checks the tasks of open status streams (`GET /v1/generations/{id}/stream`) for changes. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(50) @Max(60_000) STREAM_POLL_INTERVAL_MS = 300;
  /** Seconds of silence after which a status stream sends a heartbeat comment, so proxies keep it open. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(3600) STREAM_HEARTBEAT_SECONDS = 15;

  /**
   * The proxies whose `X-Forwarded-For` names the client (Express's `trust proxy`): a hop
   * count (`1`) or comma-separated addresses, subnets and `loopback` / `linklocal` /
   * `uniquelocal`. Unset: none, the client is the socket's address. The failed-key throttle
   * counts per client, so behind a balancer set this, or every client shares its address.
   */
  @IsOptional()
  @Matches(/^(\d{1,2}|\s*(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?)\s*(,\s*(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?)\s*)*)$/, {
    message: 'must be a hop count or comma-separated addresses, subnets, loopback, linklocal or uniquelocal',
  })
  TRUST_PROXY?: string;
}

/** The distributed gateway's admin credential. */
export class AdminApiKeyEnv {
  @IsString()
  @MinLength(16, { message: 'must be at least 16 characters' })
  ADMIN_API_KEY!: string;
}

/**
 * What `GatewayEnv` sets of the gateway's options; `rateLimitStore` and the asset delivery used
 * when ASSET_DELIVERY is unset are the hosting app's choice.
 */
export function gatewayOptionsFromEnv(
  env: GatewayEnv,
  rateLimitStore: RateLimitSettings['store'],
  defaultAssetDelivery: 'redirect' | 'proxy' = 'redirect',
): Pick<GatewayOptions, 'rateLimit' | 'failedAuthPerMinute' | 'assetServing' | 'idempotencyKeyTtlHours' | 'openaiCompat' | 'stream' | 'tokenSigningKeys'> {
  return {
    ...(env.TOKEN_SIGNING_KEYS ? { tokenSigningKeys: env.TOKEN_SIGNING_KEYS.split(',') } : {}),
    rateLimit: { perMinute: env.RATE_LIMIT_PER_MINUTE, store: rateLimitStore },
    failedAuthPerMinute: env.FAILED_AUTH_PER_MINUTE,
    assetServing: assetServing(env, defaultAssetDelivery),
    idempotencyKeyTtlHours: env.IDEMPOTENCY_KEY_TTL_HOURS,
    openaiCompat: { timeoutSeconds: env.OPENAI_COMPAT_TIMEOUT_SECONDS, defaultModel: env.OPENAI_COMPAT_DEFAULT_MODEL },
    stream: { pollIntervalMs: env.STREAM_POLL_INTERVAL_MS, heartbeatMs: env.STREAM_HEARTBEAT_SECONDS * 1000 },
  };
}

/** `ASSET_DELIVERY=proxy` wins: it is the explicit opt-out of sending clients to the bucket; a CDN is the next choice. */
function assetServing(env: GatewayEnv, fallback: 'redirect' | 'proxy'): AssetServing {
  const delivery = env.ASSET_DELIVERY ?? (env.ASSET_PUBLIC_BASE_URL ? 'redirect' : fallback);
  if (delivery === 'proxy') return { mode: 'proxy' };
  if (env.ASSET_PUBLIC_BASE_URL) return { mode: 'public', baseUrl: env.ASSET_PUBLIC_BASE_URL.replace(/\/+$/, '') };
  return { mode: 'presigned', ttlSeconds: env.ASSET_URL_TTL_SECONDS };
}
