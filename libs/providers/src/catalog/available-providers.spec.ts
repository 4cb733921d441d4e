import { describe, expect, it } from '@jest/globals';
import { availableProviders } from './available-providers';

describe('availableProviders', () => {
  it('offers only the local renderer when no key is set', () => {
    expect(availableProviders({})).toEqual(['local']);
  });

  it('adds each provider whose key is set', () => {
    expect(
      availableProviders({
        OPENAI_API_KEY: 'sk-1',
        GEMINI_API_KEY: 'g-1',
        BFL_API_KEY: 'b-1',
        REPLICATE_API_TOKEN: 'r8_1',
        FAL_KEY: 'f-1',
      }),
    ).toEqual(['local', 'openai', 'gemini', 'bfl', 'replicate', 'fal']);
    expect(availableProviders({ REPLICATE_API_TOKEN: 'r8_1' })).toEqual(['local', 'replicate']);
  });

  it('treats a blank key as unset', () => {
    expect(availableProviders({ OPENAI_API_KEY: '  ', FAL_KEY: '' })).toEqual(['local']);
  });

  it('ignores unrelated settings of a whole env object', () => {
    const env = { FAL_KEY: 'f-1', FAL_QUEUE_URL: 'https://queue.fal.run', PORT: 3000 };
    expect(availableProviders(env)).toEqual(['local', 'fal']);
  });
});
