import type { ImageProvider } from '@darkroom/providers';

export const PROVIDERS = Symbol('ImageProviders');

/** Providers by name; the catalog says which one serves a model. */
export class ProviderRegistry {
  private readonly byName: ReadonlyMap<string, ImageProvider>;

  constructor(providers: readonly ImageProvider[]) {
    this.byName = new Map(providers.map((provider) => [provider.name, provider]));
  }

  get(name: string): ImageProvider {
    const provider = this.byName.get(name);
    if (!provider) throw new Error(`No provider adapter named "${name}" is configured`);
    return provider;
  }
}
