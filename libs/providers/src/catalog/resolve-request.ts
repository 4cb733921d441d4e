import { DomainError } from '@darkroom/kernel';
import type { ModelEntry } from './catalog.schema';

/** What the caller asked for, before the model's rules and defaults. */
export interface RequestedParams {
  readonly size?: string;
  readonly aspectRatio?: string;
  readonly n?: number;
  readonly quality?: string;
  /** How many edit targets and references the request carries. */
  readonly inputImages: number;
  readonly referenceImages: number;
  /** Pixel size of the first input image: an edit that names no size keeps its aspect ratio. */
  readonly inputSize?: { readonly width: number; readonly height: number };
}

export interface ResolvedParams {
  readonly width: number;
  readonly height: number;
  /** Set when the model is sized by ratio (or the caller asked by ratio). */
  readonly aspectRatio?: string;
  readonly quality?: string;
  readonly n: number;
}

interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** Pixels of an image sized by ratio: about one megapixel, sides in multiples of 16. */
const RATIO_AREA = 1024 * 1024;

/**
 * Checks a request against what `model` can serve and fills in its defaults. Every field
 * that does not fit is listed in one `unsupported_by_model` error, so a caller fixes all
 * of them at once and nothing is charged for a request the model would refuse.
 */
export function resolveRequest(model: ModelEntry, params: RequestedParams): ResolvedParams {
  const errors: FieldError[] = [];
  const caps = model.capabilities;
  const id = model.id;

  if (params.inputImages > 0 && !caps.edit) errors.push({ field: 'input_images', message: `${id} does not edit images` });
  if (params.inputImages === 0 && !caps.textToImage) {
    errors.push({ field: 'input_images', message: `${id} needs at least one input image` });
  }
  if (params.referenceImages > 0 && !caps.referenceImages) {
    errors.push({ field: 'reference_images', message: `${id} does not take reference images` });
  }
  if (params.inputImages + params.referenceImages > caps.maxInputImages && (caps.edit || caps.referenceImages)) {
    errors.push({ field: 'input_images', message: `${id} takes at most ${caps.maxInputImages} input and reference images in all` });
  }

  const n = params.n ?? 1;
  if (n > caps.maxN) errors.push({ field: 'n', message: `${id} makes at most ${caps.maxN} images per request` });

  const quality = params.quality ?? model.defaults.quality;
  if (params.quality !== undefined && !caps.qualities?.includes(params.quality)) {
    errors.push({
      field: 'quality',
      message: caps.qualities ? `${id} offers the qualities ${caps.qualities.join(', ')}` : `${id} has no quality setting`,
    });
  }

  const sizing = resolveSize(model, params, errors);
  if (errors.length > 0 || !sizing) {
    throw new DomainError('unsupported_by_model', 'validation', `The model ${id} cannot serve this request.`, { errors });
  }
  return { ...sizing, n, ...(quality === undefined ? {} : { quality }) };
}

function resolveSize(
  model: ModelEntry,
  params: RequestedParams,
  errors: FieldError[],
): Pick<ResolvedParams, 'width' | 'height' | 'aspectRatio'> | undefined {
  const caps = model.capabilities;
  const ratios = caps.aspectRatios ?? [];
  if (params.size !== undefined && params.aspectRatio !== undefined) {
    errors.push({ field: 'aspect_ratio', message: 'give size or aspect_ratio, not both' });
    return undefined;
  }
  if (params.size === undefined && params.aspectRatio === undefined && params.inputSize) {
    const kept = sizeLike(model, params.inputSize);
    if (kept) return kept;
  }
  const aspectRatio = params.aspectRatio ?? (params.size === undefined ? model.defaults.aspectRatio : undefined);
  if (aspectRatio !== undefined) {
    if (!ratios.includes(aspectRatio)) {
      errors.push({
        field: 'aspect_ratio',
        message: ratios.length ? `${model.id} supports the aspect ratios ${ratios.join(', ')}` : `${model.id} is sized by size ("WxH")`,
      });
      return undefined;
    }
    return { ...dimensionsOf(aspectRatio), aspectRatio };
  }

  const size = params.size ?? model.defaults.size;
  if (size === undefined) return undefined;
  const [width, height] = size.split('x').map(Number);
  if (caps.sizes?.length) {
    if (!caps.sizes.includes(size)) errors.push({ field: 'size', message: `${model.id} supports the sizes ${caps.sizes.join(', ')}` });
    return { width, height };
  }
  if (caps.minSide === undefined || caps.maxSide === undefined) {
    errors.push({ field: 'size', message: `${model.id} is sized by aspect_ratio (${ratios.join(', ')})` });
    return undefined;
  }
  const multiple = caps.sideMultiple ?? 1;
  if ([width, height].some((side) => side < caps.minSide! || side > caps.maxSide! || side % multiple !== 0)) {
    const rule = multiple > 1 ? ` in multiples of ${multiple}` : '';
    errors.push({ field: 'size', message: `each side must be between ${caps.minSide} and ${caps.maxSide}${rule} for ${model.id}` });
  }
  return { width, height };
}

function dimensionsOf(ratio: string): { width: number; height: number } {
  const [w, h] = ratio.split(':').map(Number);
  const side = (a: number, b: number) => Math.max(16, Math.round(Math.sqrt((RATIO_AREA * a) / b) / 16) * 16);
  return { width: side(w, h), height: side(h, w) };
}

/** How far apart two aspect ratios are, whichever way round (0 for the same shape). */
const ratioDistance = (a: number, b: number) => Math.abs(Math.log(a / b));

/**
 * The size `model` offers that is nearest in shape to `input`: its listed size or aspect
 * ratio closest in ratio, or, on a model with free sizes, the input's own size brought
 * within the model's sides and multiple. Undefined when the model offers nothing to choose.
 */
export function sizeLike(model: ModelEntry, input: { readonly width: number; readonly height: number }) {
  const caps = model.capabilities;
  const ratio = input.width / input.height;
  const nearest = <T>(options: readonly T[], ratioOf: (option: T) => number): T =>
    options.reduce((best, option) => (ratioDistance(ratioOf(option), ratio) < ratioDistance(ratioOf(best), ratio) ? option : best));
  if (caps.sizes?.length) {
    const size = nearest(caps.sizes, (option) => ratioOf(option, 'x'));
    const [width, height] = size.split('x').map(Number);
    return { width, height };
  }
  if (caps.aspectRatios?.length) {
    const aspectRatio = nearest(caps.aspectRatios, (option) => ratioOf(option, ':'));
    return { ...dimensionsOf(aspectRatio), aspectRatio };
  }
  if (caps.minSide === undefined || caps.maxSide === undefined) return undefined;
  return freeSize(input, caps.minSide, caps.maxSide, caps.sideMultiple ?? 1);
}

const ratioOf = (value: string, separator: string) => {
  const [a, b] = value.split(separator).map(Number);
  return a / b;
};

/** `input` scaled (ratio kept) so that its sides fall within [min, max], each rounded to `multiple`. */
function freeSize(input: { readonly width: number; readonly height: number }, min: number, max: number, multiple: number) {
  const scale = Math.max(Math.min(1, max / Math.max(input.width, input.height)), min / Math.min(input.width, input.height));
  const low = Math.ceil(min / multiple) * multiple;
  const high = Math.floor(max / multiple) * multiple;
  const snap = (side: number) => Math.min(high, Math.max(low, Math.round((side * scale) / multiple) * multiple));
  return { width: snap(input.width), height: snap(input.height) };
}
