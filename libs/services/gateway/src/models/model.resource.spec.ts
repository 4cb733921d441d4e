import { describe, expect, it } from '@jest/globals';
import { ModelCatalog } from '@darkroom/providers';
import { healthOf } from '@darkroom/read-model-generations';
import { toModelList, toModelResource } from './model.resource';

const catalog = ModelCatalog.load();

describe('toModelResource', () => {
  it('puts a model sized by a fixed list, with qualities and every price in credits per image, on the wire in snake_case', () => {
    expect(toModelResource(catalog.get('gpt-image-1'), true)).toEqual({
      id: 'gpt-image-1',
      object: 'model',
      provider: 'openai',
      description: expect.any(String),
      available: true,
      health: 'healthy',
      capabilities: {
        text_to_image: true,
        edit: true,
        reference_images: true,
        max_input_images: 16,
        max_n: 10,
        sizes: ['1024x1024', '1536x1024', '1024x1536'],
        qualities: ['low', 'medium', 'high', 'auto'],
      },
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
      deadline_seconds: 300,
      max_attempts: 3,
      fallbacks: [],
    });
  });

  it('leaves out what a model does not have instead of sending nulls', () => {
    const local = toModelResource(catalog.get('local'), true);
    expect(local.capabilities).toEqual({
      text_to_image: true,
      edit: true,
      reference_images: false,
      max_input_images: 1,
      max_n: 4,
      min_side: 16,
      max_side: 2048,
    });
    expect(local.defaults).toEqual({ size: '512x512' });
    expect(local.pricing).toEqual({ unit: 'credits', per_image: 1, prices: [] });
    const banana = toModelResource(catalog.get('nano-banana'), false);
    expect(banana).toMatchObject({ defaults: { aspect_ratio: '1:1' }, fallbacks: ['nano-banana-fal'], available: false });
    expect(banana.capabilities).not.toHaveProperty('sizes');
  });
});

describe('toModelList', () => {
  it('marks a model available only when its provider is configured', () => {
    const list = toModelList(catalog.list(), ['local', 'bfl']);
    expect(list.object).toBe('list');
    expect(Object.fromEntries(list.data.map((model) => [model.id, model.available]))).toEqual({
      local: true,
      'gpt-image-1': false,
      'nano-banana': false,
      'flux-2-pro': true,
      'nano-banana-replicate': false,
      'flux-schnell': false,
      'nano-banana-fal': false,
    });
  });

  it('shows each model’s circuit breaker as its health', () => {
    const list = toModelList(catalog.list(), ['gemini', 'fal'], (model) => (model.id === 'nano-banana' ? 'circuit_open' : 'healthy'));
    expect(list.data.find((model) => model.id === 'nano-banana')?.health).toBe('circuit_open');
    expect(list.data.find((model) => model.id === 'nano-banana-fal')?.health).toBe('healthy');
  });
});

describe('healthOf', () => {
  const row = { provider: 'gemini', model: 'nano-banana', failures: 0 };
  it('is healthy without a row or while closed, open during the cool-down, half-open after it', () => {
    expect(healthOf(undefined, '2025-11-24T10:00:00.000Z')).toBe('healthy');
    expect(healthOf({ ...row, status: 'closed', failures: 2 }, '2025-11-24T10:00:00.000Z')).toBe('healthy');
    const open = { ...row, status: 'open' as const, openUntil: '2025-11-24T10:00:30.000Z' };
    expect(healthOf(open, '2025-11-24T10:00:29.000Z')).toBe('circuit_open');
    expect(healthOf(open, '2025-11-24T10:00:30.000Z')).toBe('half_open');
  });
});
