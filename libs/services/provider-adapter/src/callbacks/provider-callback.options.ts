import type { ImageProvider } from '@darkroom/providers';

export const PROVIDER_CALLBACK_OPTIONS = Symbol('ProviderCallbackOptions');

export interface ProviderCallbackOptions {
  /** The configured providers (`providerSetup(env).providers`). */
  readonly providers: readonly ImageProvider[];
  /** Providers whose callbacks can be verified with what is configured; others are refused. */
  readonly webhookProviders: readonly string[];
}
