import type { Model } from '../api/types';

/** How a model is sized: a list of sizes, a list of aspect ratios, or any "WxH" within its sides. */
export type SizeChoice =
  | { readonly kind: 'size'; readonly options: readonly string[]; readonly initial: string }
  | { readonly kind: 'aspect_ratio'; readonly options: readonly string[]; readonly initial: string };

/** Sizes offered for models that take any size between their min and max side. */
const FREE_SIZES = ['512x512', '640x480', '768x512', '512x768', '1024x1024', '1024x768', '768x1024', '1536x1024', '1024x1536'];

function fits(size: string, min: number, max: number, multiple: number): boolean {
  return size.split('x').every((side) => {
    const value = Number(side);
    return value >= min && value <= max && value % multiple === 0;
  });
}

export function sizeChoice(model: Model): SizeChoice {
  const caps = model.capabilities;
  if (caps.aspect_ratios?.length) {
    return { kind: 'aspect_ratio', options: caps.aspect_ratios, initial: model.defaults.aspect_ratio ?? caps.aspect_ratios[0]! };
  }
  if (caps.sizes?.length) return { kind: 'size', options: caps.sizes, initial: model.defaults.size ?? caps.sizes[0]! };
  const min = caps.min_side ?? 1;
  const max = caps.max_side ?? Number.MAX_SAFE_INTEGER;
  const options = [...new Set([model.defaults.size, ...FREE_SIZES])].filter(
    (size): size is string => size !== undefined && fits(size, min, max, caps.side_multiple ?? 1),
  );
  return { kind: 'size', options, initial: model.defaults.size ?? options[0] ?? '1024x1024' };
}

export interface PriceParams {
  readonly size?: string;
  readonly quality?: string;
  readonly n: number;
}

/** Credits per image at this size and quality: its row in `prices`, else `per_image`. */
function perImage(model: Model, size: string | undefined, quality: string | undefined): number {
  const row = model.pricing.prices.find((price) => (price.size === undefined || price.size === size) && (price.quality === undefined || price.quality === quality));
  return row?.per_image ?? model.pricing.per_image;
}

/**
 * The credits the API will reserve: the per-image price of the size and quality × n, rounded
 * up, with the model's default quality and size when none is chosen.
 */
export function estimatePrice(model: Model, params: PriceParams): number {
  return Math.ceil(perImage(model, params.size ?? model.defaults.size, params.quality ?? model.defaults.quality) * params.n);
}

/** "Text to image · Edits · References (up to 4 images) · up to 4 per task". */
export function describeCapabilities(model: Model): string {
  const caps = model.capabilities;
  const parts = [
    caps.text_to_image ? 'Text to image' : undefined,
    caps.edit ? 'Edits' : undefined,
    caps.reference_images ? 'Reference images' : undefined,
    caps.edit || caps.reference_images ? `up to ${caps.max_input_images} input images` : undefined,
    `up to ${caps.max_n} per task`,
  ];
  return parts.filter(Boolean).join(' · ');
}

/** "1 credit per image", "4 credits per image (1–16 by quality)". */
export function describePricing(model: Model): string {
  const { per_image, prices } = model.pricing;
  const unit = (value: number) => `${value} credit${value === 1 ? '' : 's'}`;
  const all = prices.map((price) => price.per_image);
  if (all.length === 0) return `${unit(per_image)} per image`;
  return `${unit(per_image)} per image (${Math.min(...all)}–${Math.max(...all)} by size and quality)`;
}
