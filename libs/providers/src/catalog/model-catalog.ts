import { readFileSync } from 'node:fs';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { DomainError } from '@darkroom/kernel';
import shipped from './models.json';
import { CatalogFile, ModelEntry, ProviderLimits } from './catalog.schema';
import { resolveRequest, type RequestedParams, type ResolvedParams } from './resolve-request';

export { ModelCapabilities, ModelEntry, ModelPricing, ProviderLimits } from './catalog.schema';

/** One step of a task's attempt plan: `attempts` tries on `model`, then the next step. */
export interface AttemptStep {
  readonly model: string;
  readonly provider: string;
  readonly attempts: number;
}

/**
 * The models darkroom serves, read from the versioned `models.json` shipped with the code,
 * merged with an optional override file (`MODEL_CATALOG_FILE`): models replace or add by
 * id, provider limits by name. Invalid entries stop the process at boot.
 */
export class ModelCatalog {
  private readonly byId: ReadonlyMap<string, ModelEntry>;
  private readonly limits: ReadonlyMap<string, ProviderLimits>;

  constructor(file: CatalogFile) {
    this.byId = new Map(file.models.map((model) => [model.id, model]));
    this.limits = new Map(Object.entries(file.providers));
  }

  /** The shipped catalog, merged with the file at `overridePath` when given. */
  static load(overridePath?: string): ModelCatalog {
    const override = overridePath ? (JSON.parse(readFileSync(overridePath, 'utf8')) as Partial<CatalogFile>) : undefined;
    return ModelCatalog.from(override ? merge(shipped as CatalogFile, override) : shipped);
  }

  /** Validates a catalog document; throws with every problem listed. */
  static from(document: unknown): ModelCatalog {
    const file = plainToInstance(CatalogFile, document);
    const problems = validateSync(file).flatMap((error) => describe(error));
    for (const [name, limits] of Object.entries(file.providers ?? {})) {
      problems.push(...validateSync(plainToInstance(ProviderLimits, limits)).flatMap((e) => describe(e, `providers.${name}`)));
    }
    if (problems.length === 0) problems.push(...consistency(file));
    if (problems.length > 0) throw new Error(`Invalid model catalog:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    return new ModelCatalog({
      ...file,
      providers: Object.fromEntries(Object.entries(file.providers).map(([k, v]) => [k, plainToInstance(ProviderLimits, v)])),
    });
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

  providerLimits(provider: string): ProviderLimits {
    return this.limits.get(provider) ?? { concurrency: 4 };
  }

  /** Hosts `provider`'s result URLs may come from (`*.suffix` wildcards allowed); empty when it answers with bytes. */
  resultHosts(provider: string): readonly string[] {
    return this.limits.get(provider)?.resultHosts ?? [];
  }

  /** Every provider with limits in the catalog. */
  providerNames(): readonly string[] {
    return [...this.limits.keys()];
  }

  /** Sizes, ratio, quality and inputs checked against the model; an `unsupported_by_model` error lists every field. */
  resolve(modelId: string, params: RequestedParams): ResolvedParams {
    return resolveRequest(this.get(modelId), params);
  }

  /** Credits for a resolved request. */
  price(model: ModelEntry, params: Pick<ResolvedParams, 'n' | 'quality' | 'width' | 'height'>): number {
    return Math.ceil(pricePerImage(model, `${params.width}x${params.height}`, params.quality) * params.n);
  }

  /**
   * The model's attempts, then each fallback's, skipping fallbacks that cannot serve a
   * request with input images when the task has them.
   */
  attemptPlan(modelId: string, hasInputs = false): readonly AttemptStep[] {
    const model = this.get(modelId);
    const fallbacks = (model.fallbacks ?? [])
      .map((id) => this.get(id))
      .filter((fallback) => !hasInputs || fallback.capabilities.edit || fallback.capabilities.referenceImages);
    return [model, ...fallbacks].map((m) => ({ model: m.id, provider: m.provider, attempts: m.maxAttempts }));
  }
}

function merge(base: CatalogFile, override: Partial<CatalogFile>): unknown {
  const models = new Map(base.models.map((m) => [m.id, m]));
  for (const model of override.models ?? []) models.set(model.id, model);
  return {
    version: override.version ?? base.version,
    providers: { ...base.providers, ...(override.providers ?? {}) },
    models: [...models.values()],
  };
}

function describe(error: ValidationError, path = ''): string[] {
  const here = path ? `${path}.${error.property}` : error.property;
  const own = Object.values(error.constraints ?? {}).map((reason) => `${here}: ${reason}`);
  return [...own, ...(error.children ?? []).flatMap((child) => describe(child, here))];
}

function consistency(file: CatalogFile): string[] {
  const ids = new Set(file.models.map((m) => m.id));
  const problems: string[] = [];
  for (const model of file.models) {
    const caps = model.capabilities;
    const sized = (caps.sizes?.length ?? 0) > 0 || (caps.aspectRatios?.length ?? 0) > 0 || (caps.minSide && caps.maxSide);
    if (!sized) problems.push(`${model.id}: capabilities need sizes, aspectRatios or minSide/maxSide`);
    if (!model.defaults.size && !model.defaults.aspectRatio) problems.push(`${model.id}: defaults need a size or an aspectRatio`);
    for (const fallback of model.fallbacks ?? []) {
      if (!ids.has(fallback)) problems.push(`${model.id}: fallback "${fallback}" is not a model in the catalog`);
      if (fallback === model.id) problems.push(`${model.id}: a model cannot be its own fallback`);
    }
  }
  return problems;
}

/** Credits per image (possibly fractional) of `model` at this size and quality: its quality's price × its size's factor. */
export function pricePerImage(model: ModelEntry, size: string | undefined, quality: string | undefined): number {
  const { perImage, byQuality, bySize } = model.pricing;
  return ((quality !== undefined ? byQuality?.[quality] : undefined) ?? perImage) * ((size !== undefined ? bySize?.[size] : undefined) ?? 1);
}
