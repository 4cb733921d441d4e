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
