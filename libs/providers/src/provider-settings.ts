/** What every remote adapter needs; values come from configuration (`ProvidersEnv`), never code. */
export interface ProviderHttpSettings {
  /** e.g. "https://api.openai.com/v1"; tests point it at a fake on loopback. */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Per HTTP request; a timeout is a retryable failure. */
  readonly requestTimeoutMs: number;
}

/** Accepted clock difference for signed webhooks, both ways. */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

export type OpenAiSettings = ProviderHttpSettings;
export type GeminiSettings = ProviderHttpSettings;

export interface BflSettings extends ProviderHttpSettings {
  /** Sent as `webhook_secret`; callbacks must carry `X-BFL-Signature: sha256=<hex>` made with it. */
  readonly webhookSecret?: string;
}

export interface ReplicateSettings extends ProviderHttpSettings {
  /** `whsec_…` from `GET /v1/webhooks/default/secret`. */
  readonly webhookSecret?: string;
  readonly webhookToleranceSeconds: number;
}

export interface FalSettings extends ProviderHttpSettings {
  /** Where fal publishes its webhook Ed25519 keys (JWKS). */
  readonly jwksUrl: string;
  readonly webhookToleranceSeconds: number;
}
