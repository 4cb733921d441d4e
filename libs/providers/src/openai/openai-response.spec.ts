import { describe, expect, it } from '@jest/globals';
import type { ImagesResponse } from 'openai/resources/images';
import { openAiOutcome } from './openai-response';

describe('openAiOutcome', () => {
  it('decodes every b64_json image with the content type of output_format', () => {
    const response: ImagesResponse = { created: 1, output_format: 'webp', data: [{ b64_json: 'AQID' }, { b64_json: 'BAU=' }] };
    expect(openAiOutcome(response)).toEqual({
      kind: 'completed',
      images: [
        { kind: 'bytes', bytes: Buffer.from([1, 2, 3]), contentType: 'image/webp' },
        { kind: 'bytes', bytes: Buffer.from([4, 5]), contentType: 'image/webp' },
      ],
    });
  });

  it('assumes PNG when output_format is absent', () => {
    expect(openAiOutcome({ created: 1, data: [{ b64_json: 'AQID' }] })).toMatchObject({ images: [{ contentType: 'image/png' }] });
  });

  it.each([
    ['no data', { created: 1 }],
    ['an empty list', { created: 1, data: [] }],
    ['a URL instead of base64', { created: 1, data: [{ url: 'https://example.com/a.png' }] }],
    ['one image of two missing', { created: 1, data: [{ b64_json: 'AQID' }, {}] }],
  ])('fails without retry on %s', (_, response) => {
    expect(openAiOutcome(response as ImagesResponse)).toMatchObject({ kind: 'failed', failure: { code: 'provider_error', retryable: false } });
  });
});
