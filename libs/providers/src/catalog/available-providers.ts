/** The credential that switches each external provider on (ProvidersEnv names). */
export interface ProviderKeys {
  readonly OPENAI_API_KEY?: string;
  readonly GEMINI_API_KEY?: string;
  readonly BFL_API_KEY?: string;
  readonly REPLICATE_API_TOKEN?: string;
  readonly FAL_KEY?: string;
}

const keyOf: Readonly<Record<string, keyof ProviderKeys>> = {
  openai: 'OPENAI_API_KEY',
  gemini: 'GEMINI_API_KEY',
  bfl: 'BFL_API_KEY',
  replicate: 'REPLICATE_API_TOKEN',
  fal: 'FAL_KEY',
};

/**
 * Providers darkroom can call: `local` always, every other one when its key is set (a
 * blank key counts as unset). Models of the others are listed as unavailable and refused.
 */
export function availableProviders(keys: ProviderKeys): readonly string[] {
  const configured = Object.entries(keyOf)
    .filter(([, name]) => (keys[name]?.trim() ?? '') !== '')
    .map(([provider]) => provider);
  return ['local', ...configured];
}
