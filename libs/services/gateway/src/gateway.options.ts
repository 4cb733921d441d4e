import type { ImageDecoder, ImageProvider, ModelCatalog } from '@darkroom/providers';
import { assetUrlSignerFrom, type SignedAssetUrls } from '@darkroom/object-storage';
import type { AssetServing } from './assets/asset-delivery';

/** How the gateway limits each API key (`RATE_LIMIT_PER_MINUTE`). */
export interface RateLimitSettings {
  /** Requests per key per minute; 0 turns limiting off. */
  readonly perMinute: number;
  /**
   * `postgres`: one count per key shared by every gateway (the `rate_limits` table);
   * `memory`: per process, for the embedded single process.
   */
  readonly store: 'postgres' | 'memory';
}

/** How the status stream learns about changes and keeps idle connections open. */
export interface StatusStreamSettings {
  /** How often one query checks every watched task for new events (default 300). */
  readonly pollIntervalMs: number;
  /** Idle time after which a comment line is sent so proxies keep the connection (default 15000). */
  readonly heartbeatMs: number;
}

export const GATEWAY_OPTIONS = Symbol('GatewayOptions');

export interface GatewayOptions {
  /**
   * Origin of every URL darkroom hands out (task and asset links), never the request's Host:
   * `PUBLIC_BASE_URL`, or `http://127.0.0.1:<PORT>` when unset (`outboundWebhooksFromEnv`).
   * Default `DEFAULT_PUBLIC_BASE_URL`.
   */
  readonly publicBaseUrl?: string;
  /** Credential for `/admin/*`. */
  readonly adminApiKey: string;
  /** The models served: `ModelCatalog.load(MODEL_CATALOG_FILE)`. */
  readonly catalog: ModelCatalog;
  /**
   * The configured providers (the local renderer and every remote one with a key). Models
   * of other providers are listed as unavailable and refused with `model_unavailable`.
   */
  readonly providers: readonly ImageProvider[];
  /** How `GET /v1/assets/{id}` hands out bytes: `gatewayOptionsFromEnv(env)`. */
  readonly assetServing: AssetServing;
  /** Requests per API key per minute and where they are counted; default 600, in memory. */
  readonly rateLimit?: RateLimitSettings;
  /** Multipart requests (uploads, edits) read at once per process; default 16. More are answered 503 `uploads_busy`. */
  readonly uploadsInFlight?: number;
  /** Wrong keys one client address may present per minute before it gets 429s; default 100, 0 turns it off. */
  readonly failedAuthPerMinute?: number;
  /** Poll interval and heartbeat of `GET /v1/generations/{id}/stream`; default 300 ms and 15 s. */
  readonly stream?: Partial<StatusStreamSettings>;
  /** Hours an `Idempotency-Key` is remembered (`IDEMPOTENCY_KEY_TTL_HOURS`); default 24. */
  readonly idempotencyKeyTtlHours?: number;
  /** The OpenAI-compatible façade (`/v1/images/*`): `OPENAI_COMPAT_*`. */
  readonly openaiCompat?: OpenAiCompatSettings;
  /**
   * Asset URLs that work without a header (`?expires=&signature=`): `outboundWebhooksFromEnv(...).assetUrls`.
   * Default: keyed from `adminApiKey`, one hour.
   */
  readonly assetUrls?: SignedAssetUrls;
  /** `TOKEN_SIGNING_KEYS`: the first signs scoped tokens, all verify. Default: derived from `adminApiKey`. */
  readonly tokenSigningKeys?: readonly string[];
  /** The process's decode budget and slots (`providerSetup(env).images`); every upload passes it. Default `DEFAULT_DECODE_LIMITS`. */
  readonly images?: ImageDecoder;
}

export interface OpenAiCompatSettings {
  /** Seconds a façade request waits for its task before answering 504 with the task id; default 120. */
  readonly timeoutSeconds?: number;
  /** Catalog id used when a request names no `model`; default "gpt-image-1". */
  readonly defaultModel?: string;
}

/** Where the URLs darkroom hands out start. */
/** The listening address of a gateway on its default port, when no public URL is configured. */
export const DEFAULT_PUBLIC_BASE_URL = 'http://127.0.0.1:3000';

export const publicBaseUrlOf = (options: GatewayOptions): string => options.publicBaseUrl ?? DEFAULT_PUBLIC_BASE_URL;

/** Names of the configured providers. */
export const availableProviders = (options: GatewayOptions): readonly string[] => options.providers.map((p) => p.name);

/** The signer of asset URLs, and how long the ones darkroom hands out by itself live. */
export const assetUrlsOf = (options: GatewayOptions): SignedAssetUrls =>
  options.assetUrls ?? { signer: assetUrlSignerFrom(undefined, options.adminApiKey), ttlSeconds: 3600 };
