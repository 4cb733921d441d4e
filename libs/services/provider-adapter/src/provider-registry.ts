import type { ImageProvider } from '@darkroom/providers';

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

  has(name: string): boolean {
    return this.byName.has(name);
  }

  names(): readonly string[] {
    return [...this.byName.keys()];
  }
}
