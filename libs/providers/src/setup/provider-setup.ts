import { BflProvider } from '../bfl/bfl.provider';
import { ModelCatalog } from '../catalog/model-catalog';
import { FalProvider } from '../fal/fal.provider';
import { GeminiProvider } from '../gemini/gemini.provider';
import type { ImageProvider } from '../image-provider';
import { ImageDecoder } from '../images/image-decoder';
import { LocalRenderer } from '../local/local-renderer';
import type { Moderation } from '../moderation/moderation';
import { commaList, RuleBasedModeration } from '../moderation/rule-based-moderation';
import { OpenAiProvider } from '../openai/openai.provider';
import { ReplicateProvider } from '../replicate/replicate.provider';
import type { ProvidersEnv } from './providers.env';

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
  /**
   * The process's one decode budget and decode slots (IMAGE_*): the gateway's uploads,
   * storage's results and the local renderer's edits all go through it.
   */
  readonly images: ImageDecoder;
}

/** Builds the provider adapters from `ProvidersEnv`; a provider without its key is left out. */
export function providerSetup(env: ProvidersEnv): ProviderSetup {
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
