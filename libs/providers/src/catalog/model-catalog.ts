import { DomainError } from '@darkroom/kernel';

/** What a model can do; the gateway refuses requests outside it before charging. */
export interface ModelCapabilities {
  readonly textToImage: boolean;
  readonly edit: boolean;
  readonly maxN: number;
  readonly minSide: number;
  readonly maxSide: number;
}

/** One public model: which provider serves it, what it costs and how long it may take. */
export interface ModelEntry {
  /** Public id used in requests, e.g. "local". */
  readonly id: string;
  readonly provider: string;
  readonly providerModel: string;
  readonly description: string;
  readonly capabilities: ModelCapabilities;
  /** Credits per output image. */
  readonly creditsPerImage: number;
  readonly deadlineSeconds: number;
  readonly maxAttempts: number;
}

export const defaultModels: readonly ModelEntry[] = [
  {
    id: 'local',
    provider: 'local',
    providerModel: 'darkroom-local-v1',
    description: 'Built-in deterministic renderer: abstract art from prompt and seed, no external account needed.',
    capabilities: { textToImage: true, edit: false, maxN: 4, minSide: 16, maxSide: 2048 },
    creditsPerImage: 1,
    deadlineSeconds: 600,
    maxAttempts: 1,
  },
];

export class ModelCatalog {
  private readonly byId: ReadonlyMap<string, ModelEntry>;

  constructor(models: readonly ModelEntry[] = defaultModels) {
    this.byId = new Map(models.map((model) => [model.id, model]));
  }

  list(): readonly ModelEntry[] {
    return [...this.byId.values()];
  }

  /** The model, or a `model_not_found` validation error naming the known ones. */
  get(id: string): ModelEntry {
    const model = this.byId.get(id);
    if (!model) {
      throw new DomainError('model_not_found', 'validation', `Unknown model "${id}".`, {
        field: 'model',
        known: [...this.byId.keys()],
      });
    }
    return model;
  }

  price(model: ModelEntry, n: number): number {
    return model.creditsPerImage * n;
  }
}
