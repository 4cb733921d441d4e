import { pricePerImage, type ModelEntry } from '@darkroom/providers';
import type { ModelHealth } from '@darkroom/read-model-generations';

/** Drops the keys whose value is undefined, so optional capabilities are absent rather than null. */
const defined = <T extends Record<string, unknown>>(value: T): Partial<T> =>
  Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;

/**
 * Every price stated one way, in credits per image: one row per size × quality the model
 * lists (a model that lists neither has the one price, `per_image`). A task costs its row's
 * `per_image` × `n`, rounded up to a whole credit.
 */
function priceTable(model: ModelEntry): { size?: string; quality?: string; per_image: number }[] {
  const sizes = model.capabilities.sizes ?? [undefined];
  const qualities = model.capabilities.qualities ?? [undefined];
  if (!model.pricing.byQuality && !model.pricing.bySize) return [];
  return sizes.flatMap((size) =>
    qualities.map((quality) => ({ ...defined({ size, quality }), per_image: pricePerImage(model, size, quality) })),
  );
}

/**
 * A catalog model as `GET /v1/models` lists it (snake_case); `available` says whether its
 * provider is configured, `health` how its circuit breaker stands (decision 0025).
 */
export function toModelResource(model: ModelEntry, available: boolean, health: ModelHealth = 'healthy') {
  const { capabilities: caps, defaults } = model;
  return {
    id: model.id,
    object: 'model',
    provider: model.provider,
    description: model.description,
    available,
    health,
    capabilities: {
      text_to_image: caps.textToImage,
      edit: caps.edit,
      reference_images: caps.referenceImages,
      max_input_images: caps.maxInputImages,
      max_n: caps.maxN,
      ...defined({
        sizes: caps.sizes,
        aspect_ratios: caps.aspectRatios,
        min_side: caps.minSide,
        max_side: caps.maxSide,
        side_multiple: caps.sideMultiple,
        qualities: caps.qualities,
      }),
    },
    defaults: defined({ size: defaults.size, aspect_ratio: defaults.aspectRatio, quality: defaults.quality }),
    pricing: { unit: 'credits', per_image: pricePerImage(model, defaults.size, defaults.quality), prices: priceTable(model) },
    deadline_seconds: model.deadlineSeconds,
    max_attempts: model.maxAttempts,
    fallbacks: model.fallbacks ?? [],
  };
}

export function toModelList(
  models: readonly ModelEntry[],
  availableProviders: readonly string[],
  health: (model: ModelEntry) => ModelHealth = () => 'healthy',
) {
  return {
    object: 'list',
    data: models.map((model) => toModelResource(model, availableProviders.includes(model.provider), health(model))),
  };
}
