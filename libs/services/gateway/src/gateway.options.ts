import type { ImageProvider, ModelCatalog } from '@darkroom/providers';
import type { AssetServing } from '@darkroom/runtime';

export const GATEWAY_OPTIONS = Symbol('GatewayOptions');

export interface GatewayOptions {
  /** Credential for `/admin/*`. */
  readonly adminApiKey: string;
  /** The models served: `ModelCatalog.load(MODEL_CATALOG_FILE)`. */
  readonly catalog: ModelCatalog;
  /**
   * The configured providers (the local renderer and every remote one with a key). Models
   * of other providers are listed as unavailable and refused with `model_unavailable`.
   */
  readonly providers: readonly ImageProvider[];
  /** Providers whose callbacks can be verified with what is configured. */
  readonly webhookProviders: readonly string[];
  /** How `GET /v1/assets/{id}` hands out bytes: `providerSetup(env).assetServing`. */
  readonly assetServing: AssetServing;
}

/** Names of the configured providers. */
export const availableProviders = (options: GatewayOptions): readonly string[] => options.providers.map((p) => p.name);
