import type { Model } from '../api/types';
import { describeCapabilities, describePricing, estimatePrice, sizeChoice } from './model-form';

const model = (overrides: Partial<Model> & Pick<Model, 'capabilities'>): Model =>
  ({ id: 'm', provider: 'p', description: '', available: true, defaults: {}, pricing: { unit: 'credits', per_image: 1, prices: [] }, ...overrides }) as Model;

const caps = (extra: Partial<Model['capabilities']>): Model['capabilities'] => ({
  text_to_image: true,
  edit: false,
  reference_images: false,
  max_input_images: 0,
  max_n: 4,
  ...extra,
});

// As in the shipped catalog (libs/providers/src/catalog/models.json).
const gptImage = model({
  capabilities: caps({ edit: true, reference_images: true, max_input_images: 16, max_n: 10, sizes: ['1024x1024', '1536x1024', '1024x1536'], qualities: ['low', 'medium', 'high', 'auto'] }),
  defaults: { size: '1024x1024', quality: 'auto' },
  pricing: {
    unit: 'credits',
    per_image: 4,
    prices: [
      { size: '1024x1024', quality: 'low', per_image: 1 },
      { size: '1024x1024', quality: 'medium', per_image: 4 },
      { size: '1024x1024', quality: 'high', per_image: 16 },
      { size: '1024x1024', quality: 'auto', per_image: 4 },
      { size: '1536x1024', quality: 'low', per_image: 1.5 },
      { size: '1536x1024', quality: 'medium', per_image: 6 },
      { size: '1536x1024', quality: 'high', per_image: 24 },
      { size: '1536x1024', quality: 'auto', per_image: 6 },
      { size: '1024x1536', quality: 'low', per_image: 1.5 },
      { size: '1024x1536', quality: 'medium', per_image: 6 },
      { size: '1024x1536', quality: 'high', per_image: 24 },
      { size: '1024x1536', quality: 'auto', per_image: 6 },
    ],
  },
});

describe('estimatePrice (the rule the API prices by)', () => {
  it('uses the per-image price of the size and quality, times n, rounded up', () => {
    expect(estimatePrice(gptImage, { quality: 'low', size: '1536x1024', n: 2 })).toBe(3);
    expect(estimatePrice(gptImage, { quality: 'low', size: '1536x1024', n: 1 })).toBe(2);
    expect(estimatePrice(gptImage, { quality: 'high', size: '1024x1024', n: 3 })).toBe(48);
  });

  it("falls back to the model's defaults, then to the per-image price", () => {
    expect(estimatePrice(gptImage, { n: 1 })).toBe(4);
    expect(estimatePrice(model({ capabilities: caps({}), pricing: { unit: 'credits', per_image: 3, prices: [] } }), { n: 2 })).toBe(6);
  });
});

describe('sizeChoice', () => {
  it('offers the listed sizes, or the aspect ratios, with the default first chosen', () => {
    expect(sizeChoice(gptImage)).toEqual({ kind: 'size', options: ['1024x1024', '1536x1024', '1024x1536'], initial: '1024x1024' });
    const ratios = model({ capabilities: caps({ aspect_ratios: ['1:1', '16:9'] }), defaults: { aspect_ratio: '16:9' } });
    expect(sizeChoice(ratios)).toEqual({ kind: 'aspect_ratio', options: ['1:1', '16:9'], initial: '16:9' });
  });

  it('offers only sizes within the sides and multiple of a free-size model', () => {
    const free = model({ capabilities: caps({ min_side: 256, max_side: 1024, side_multiple: 256 }), defaults: { size: '1024x1024' } });
    const choice = sizeChoice(free);
    expect(choice.initial).toBe('1024x1024');
    expect(choice.options).toEqual(['1024x1024', '512x512', '768x512', '512x768', '1024x768', '768x1024']);
  });
});

describe('descriptions', () => {
  it('names what a model can do and what it costs', () => {
    expect(describeCapabilities(gptImage)).toBe('Text to image · Edits · Reference images · up to 16 input images · up to 10 per task');
    expect(describePricing(gptImage)).toBe('4 credits per image (1–24 by size and quality)');
    expect(describePricing(model({ capabilities: caps({}) }))).toBe('1 credit per image');
  });
});
