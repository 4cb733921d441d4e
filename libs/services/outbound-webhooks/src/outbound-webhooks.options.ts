import { retryScheduleMs, type OutboundWebhooksEnv } from '@darkroom/config';
import { assetUrlSignerFrom, type SignedAssetUrls } from '@darkroom/object-storage';

export const OUTBOUND_WEBHOOKS_OPTIONS = Symbol('OutboundWebhooksOptions');

/** How darkroom delivers webhooks to API consumers (from `OutboundWebhooksEnv`, decision 0011). */
export interface OutboundWebhooksOptions {
  /** darkroom's public URL: asset URLs in payloads start with it. */
  readonly publicBaseUrl: string;
  /** Delay before each retry of a failed delivery; past the last one the delivery is `failed`. */
  readonly retryScheduleMs: readonly number[];
  /** An endpoint failing without a success for this long is disabled. */
  readonly disableAfterMs: number;
  /** One attempt, connect to last byte. */
  readonly timeoutMs: number;
  /** Tests only: `host:port` receivers allowed over plain http on loopback. */
  readonly httpHosts: readonly string[];
  /** Pause between claim rounds when idle (default 250 ms). */
  readonly idleMs?: number;
  /** Deliveries in flight at once in this process (default 32). */
  readonly maxInFlight?: number;
  /** Signs the asset URLs payloads carry as `signed_url`; none: payloads carry `url` only. */
  readonly assetUrls?: SignedAssetUrls;
}


/** The defaults of `OutboundWebhooksEnv`, for a module registered without settings. */
export const DEFAULT_OUTBOUND_WEBHOOKS: OutboundWebhooksOptions = {
  publicBaseUrl: 'http://127.0.0.1:3000',
  retryScheduleMs: [5, 300, 1800, 7200, 18000, 36000, 36000].map((s) => s * 1000),
  disableAfterMs: 5 * 24 * 3600 * 1000,
  timeoutMs: 15_000,
  httpHosts: [],
};

/**
 * The options from validated settings; `port` gives the default public URL, `adminApiKey`
 * the asset URL signing key when `ASSET_URL_SIGNING_KEYS` is unset.
 */
export function outboundWebhooksFromEnv(env: OutboundWebhooksEnv, port: number, adminApiKey: string): OutboundWebhooksOptions {
  return {
    assetUrls: { signer: assetUrlSignerFrom(env.ASSET_URL_SIGNING_KEYS, adminApiKey), ttlSeconds: env.SIGNED_ASSET_URL_TTL_SECONDS },
    publicBaseUrl: (env.PUBLIC_BASE_URL ?? `http://127.0.0.1:${port}`).replace(/\/+$/, ''),
    retryScheduleMs: retryScheduleMs(env),
    disableAfterMs: Math.round(env.OUTBOUND_WEBHOOK_DISABLE_AFTER_SECONDS * 1000),
    timeoutMs: env.OUTBOUND_WEBHOOK_TIMEOUT_MS,
    httpHosts: env.OUTBOUND_WEBHOOK_HTTP_HOSTS.split(',')
      .map((host) => host.trim())
      .filter(Boolean),
  };
}
