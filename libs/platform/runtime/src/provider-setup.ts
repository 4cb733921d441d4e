import type { ProvidersEnv } from '@darkroom/config';
import {
  BflProvider,
  FalProvider,
  GeminiProvider,
  ImageDecoder,
  LocalRenderer,
  ModelCatalog,
  OpenAiProvider,
  ReplicateProvider,
  RuleBasedModeration,
  commaList,
  type ImageProvider,
  type Moderation,
} from '@darkroom/providers';

/**
 * How the gateway hands out a stored image after checking the caller owns it: a 302 to a
 * presigned GET valid for `ttlSeconds`, a 302 to the stable URL under a CDN's `baseUrl`, or
 * the bytes streamed through the gateway (`proxy`, for clients that cannot reach the bucket).
 */
export type AssetServing =
  | { readonly mode: 'presigned'; readonly ttlSeconds: number }
  | { readonly mode: 'public'; readonly baseUrl: string }
  | { readonly mode: 'proxy' };

/** The catalog and the providers this process can talk to, from configuration. */
export interface ProviderSetup {
  readonly catalog: ModelCatalog;
  /** The local renderer and every remote provider whose key is configured. */
  readonly providers: readonly ImageProvider[];
  /** Providers whose callbacks can be verified with what is configured. */
  readonly webhookProviders: readonly string[];
  readonly webhookBaseUrl?: string;
  readonly requestTimeoutMs: number;
  /** host:port pairs whose result URLs may be fetched over plain http (test fakes). */
  readonly httpHosts: readonly string[];
  /**
   * darkroom's own content checks (prompts in provider-adapter, result images in storage).
   * The rule-based default reads MODERATION_BLOCKLIST and MODERATION_BLOCKED_IMAGE_SHA256;
   * a provider-backed classifier implementing `Moderation` is plugged in here.
   */
  readonly moderation: Moderation;
  /** Carried here so every entry point passes the gateway the same setting; providers do not read it. */
  readonly assetServing: AssetServing;
  /**
   * The process's one decode budget and decode slots (IMAGE_*): the gateway's uploads,
   * storage's results and the local renderer's edits all go through it.
   */
  readonly images: ImageDecoder;
}

/** What differs between deployments when a setting is unset. */
export interface ProviderSetupDefaults {
  /** `ASSET_DELIVERY` when unset and no CDN is configured; default `redirect`. */
  readonly assetDelivery?: 'redirect' | 'proxy';
}

/** Builds the provider adapters from `ProvidersEnv`; a provider without its key is left out. */
export function providerSetup(env: ProvidersEnv, defaults: ProviderSetupDefaults = {}): ProviderSetup {
  const requestTimeoutMs = env.PROVIDER_REQUEST_TIMEOUT_MS;
  const tolerance = env.WEBHOOK_TOLERANCE_SECONDS;
  const images = imageDecoder(env);
  const providers: ImageProvider[] = [new LocalRenderer({ testMarkers: env.LOCAL_PROVIDER_TEST_MARKERS, images })];
  const webhookProviders: string[] = [];
  if (env.OPENAI_API_KEY) {
    providers.push(new OpenAiProvider({ baseUrl: env.OPENAI_BASE_URL, apiKey: env.OPENAI_API_KEY, requestTimeoutMs }));
  }
  if (env.GEMINI_API_KEY) {
    providers.push(new GeminiProvider({ baseUrl: env.GEMINI_BASE_URL, apiKey: env.GEMINI_API_KEY, requestTimeoutMs }));
  }
  if (env.BFL_API_KEY) {
    providers.push(
      new BflProvider({ baseUrl: env.BFL_BASE_URL, apiKey: env.BFL_API_KEY, requestTimeoutMs, webhookSecret: env.BFL_WEBHOOK_SECRET }),
    );
    if (env.BFL_WEBHOOK_SECRET) webhookProviders.push('bfl');
  }
  if (env.REPLICATE_API_TOKEN) {
    providers.push(
      new ReplicateProvider({
        baseUrl: env.REPLICATE_BASE_URL,
        apiKey: env.REPLICATE_API_TOKEN,
        requestTimeoutMs,
        webhookSecret: env.REPLICATE_WEBHOOK_SECRET,
        webhookToleranceSeconds: tolerance,
      }),
    );
    if (env.REPLICATE_WEBHOOK_SECRET) webhookProviders.push('replicate');
  }
  if (env.FAL_KEY) {
    providers.push(
      new FalProvider({
        baseUrl: env.FAL_QUEUE_URL,
        apiKey: env.FAL_KEY,
        requestTimeoutMs,
        jwksUrl: env.FAL_JWKS_URL,
        webhookToleranceSeconds: tolerance,
      }),
    );
    webhookProviders.push('fal');
  }
  return {
    catalog: ModelCatalog.load(env.MODEL_CATALOG_FILE),
    providers,
    webhookProviders,
    ...(env.WEBHOOK_BASE_URL ? { webhookBaseUrl: env.WEBHOOK_BASE_URL } : {}),
    requestTimeoutMs,
    httpHosts: env.PROVIDER_HTTP_HOSTS.split(',').map((host) => host.trim()).filter(Boolean),
    moderation: new RuleBasedModeration({
      blocklist: commaList(env.MODERATION_BLOCKLIST),
      blockedImageSha256: commaList(env.MODERATION_BLOCKED_IMAGE_SHA256),
    }),
    assetServing: assetServing(env, defaults.assetDelivery ?? 'redirect'),
    images,
  };
}

function imageDecoder(env: ProvidersEnv): ImageDecoder {
  const limits = {
    maxPixels: env.IMAGE_MAX_PIXELS,
    maxDecodedBytes: env.IMAGE_MAX_DECODED_BYTES,
    maxSide: env.IMAGE_MAX_SIDE,
    maxAspectRatio: env.IMAGE_MAX_ASPECT_RATIO,
  };
  return new ImageDecoder(limits, env.IMAGE_DECODE_CONCURRENCY);
}

/** `ASSET_DELIVERY=proxy` wins: it is the explicit opt-out of sending clients to the bucket; a CDN is the next choice. */
function assetServing(env: ProvidersEnv, fallback: 'redirect' | 'proxy'): AssetServing {
  const delivery = env.ASSET_DELIVERY ?? (env.ASSET_PUBLIC_BASE_URL ? 'redirect' : fallback);
  if (delivery === 'proxy') return { mode: 'proxy' };
  if (env.ASSET_PUBLIC_BASE_URL) return { mode: 'public', baseUrl: env.ASSET_PUBLIC_BASE_URL.replace(/\/+$/, '') };
  return { mode: 'presigned', ttlSeconds: env.ASSET_URL_TTL_SECONDS };
}
