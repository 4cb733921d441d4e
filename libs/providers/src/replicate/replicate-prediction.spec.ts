import { describe, expect, it } from '@jest/globals';
import { ProviderPayloadError } from '../image-provider';
import { observePrediction, outputImages, readPrediction } from './replicate-prediction';

const observe = (fields: Record<string, unknown>) => observePrediction(readPrediction({ id: 'p1', ...fields }));

describe('observePrediction', () => {
  it.each(['starting', 'processing', 'some_future_status'])('keeps a %s prediction pending', (status) => {
    expect(observe({ status })).toEqual({ kind: 'pending', providerStatus: status });
  });

  it('keeps a processing prediction pending even when output is already there', () => {
    expect(observe({ status: 'processing', output: ['https://replicate.delivery/a.png'] })).toEqual({
      kind: 'pending',
      providerStatus: 'processing',
    });
  });

  it('reads a single URI output', () => {
    expect(observe({ status: 'succeeded', output: 'https://replicate.delivery/a.png' })).toEqual({
      kind: 'succeeded',
      providerStatus: 'succeeded',
      images: [{ kind: 'url', url: 'https://replicate.delivery/a.png' }],
    });
  });

  it('reads an array output in order', () => {
    const output = ['https://replicate.delivery/a.png', 'https://replicate.delivery/b.png'];
    expect(observe({ status: 'succeeded', output })).toMatchObject({
      kind: 'succeeded',
      images: [{ url: output[0] }, { url: output[1] }],
    });
  });

  it('turns a data: URI output into bytes', () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    expect(observe({ status: 'succeeded', output: `data:image/png;base64,${bytes.toString('base64')}` })).toEqual({
      kind: 'succeeded',
      providerStatus: 'succeeded',
      images: [{ kind: 'bytes', bytes, contentType: 'image/png' }],
    });
  });

  it('fails without retry when the outputs were deleted', () => {
    expect(observe({ status: 'succeeded', output: null, data_removed: true })).toEqual({
      kind: 'failed',
      providerStatus: 'succeeded',
      failure: {
        code: 'provider_error',
        retryable: false,
        detail: { status: 'succeeded', message: 'outputs deleted by the provider', output: null },
      },
    });
  });

  it('fails without retry when a success has no readable image', () => {
    for (const output of [null, [], [42], 'data:image/png;base64']) {
      expect(observe({ status: 'succeeded', output })).toMatchObject({
        kind: 'failed',
        failure: { code: 'provider_error', retryable: false, detail: { message: 'no readable image in the output' } },
      });
    }
  });

  it.each([
    'NSFW content detected. Try running it again, or try a different prompt.',
    'The input or output was flagged as sensitive. Please try again with different inputs. (E005)',
    'Blocked by the safety filter',
    'Prompt rejected by moderation',
  ])('maps a moderation error to content_moderated: %s', (error) => {
    expect(observe({ status: 'failed', error })).toEqual({
      kind: 'failed',
      providerStatus: 'failed',
      failure: { code: 'content_moderated', retryable: false, detail: { status: 'failed', error } },
    });
  });

  it('maps any other model error to provider_error without retry', () => {
    expect(observe({ status: 'failed', error: 'CUDA out of memory' })).toEqual({
      kind: 'failed',
      providerStatus: 'failed',
      failure: { code: 'provider_error', retryable: false, detail: { status: 'failed', error: 'CUDA out of memory' } },
    });
  });

  it.each(['canceled', 'aborted'])('maps %s to canceled', (status) => {
    expect(observe({ status })).toEqual({ kind: 'canceled', providerStatus: status });
  });
});

describe('readPrediction', () => {
  it.each([undefined, null, [], {}, { id: 'p1' }, { status: 'starting' }, { id: '', status: 'starting' }, { id: 7, status: 'x' }])(
    'refuses %j',
    (json) => {
      expect(() => readPrediction(json)).toThrow(ProviderPayloadError);
    },
  );

  it('keeps the URLs Replicate returned', () => {
    const urls = { get: 'https://api/p/p1', cancel: 'https://api/p/p1/cancel', web: 'https://replicate.com/p/p1' };
    expect(readPrediction({ id: 'p1', status: 'starting', urls }).urls).toEqual({ get: urls.get, cancel: urls.cancel });
  });
});

describe('outputImages', () => {
  it('decodes a percent-encoded data: URI', () => {
    expect(outputImages('data:text/plain,hi%20there')).toEqual([
      { kind: 'bytes', bytes: Buffer.from('hi there'), contentType: 'text/plain' },
    ]);
  });
});
