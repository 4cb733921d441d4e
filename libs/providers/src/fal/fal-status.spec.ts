import { describe, expect, it } from '@jest/globals';
import { ProviderPayloadError } from '../image-provider';
import { observeQueueStatus, readFalWebhook, resultImages } from './fal-status';

const images = [{ url: 'https://v3.fal.media/files/a.png', content_type: 'image/png', width: 64, height: 64 }];

describe('observeQueueStatus', () => {
  it('keeps IN_QUEUE pending with its position and IN_PROGRESS pending', () => {
    expect(observeQueueStatus({ status: 'IN_QUEUE', queue_position: 3 })).toEqual({ kind: 'pending', providerStatus: 'IN_QUEUE', queuePosition: 3 });
    expect(observeQueueStatus({ status: 'IN_PROGRESS', logs: [] })).toEqual({ kind: 'pending', providerStatus: 'IN_PROGRESS' });
  });

  it('says completed for COMPLETED and undefined for no status', () => {
    expect(observeQueueStatus({ status: 'COMPLETED', metrics: { inference_time: 1.2 } })).toBe('completed');
    expect(observeQueueStatus({ detail: 'x' })).toBeUndefined();
    expect(observeQueueStatus(undefined)).toBeUndefined();
  });
});

describe('resultImages', () => {
  it('reads urls with their content type', () => {
    expect(resultImages({ images, seed: 1 })).toEqual([{ kind: 'url', url: images[0].url, contentType: 'image/png' }]);
  });

  it('is undefined without a readable image', () => {
    for (const body of [{}, { images: [] }, { images: [{ width: 1 }] }, null]) expect(resultImages(body)).toBeUndefined();
  });
});

describe('readFalWebhook', () => {
  const envelope = { request_id: 'req-1', gateway_request_id: 'gw-1' };

  it('reads an OK delivery as a success', () => {
    expect(readFalWebhook({ ...envelope, status: 'OK', payload: { images, seed: 1 } })).toEqual({
      requestId: 'req-1',
      observation: { kind: 'succeeded', providerStatus: 'OK', images: [{ kind: 'url', url: images[0].url, contentType: 'image/png' }] },
    });
  });

  it('reads a content policy ERROR as content_moderated', () => {
    const payload = { detail: [{ loc: ['body', 'prompt'], msg: 'flagged', type: 'content_policy_violation' }] };
    expect(readFalWebhook({ ...envelope, status: 'ERROR', error: 'Invalid status code: 422', payload }).observation).toEqual({
      kind: 'failed',
      providerStatus: 'ERROR',
      failure: { code: 'content_moderated', retryable: false, detail: { error: 'Invalid status code: 422', payload } },
    });
  });

  it('reads any other ERROR as provider_error without retry', () => {
    const payload = { detail: 'Runner disconnected', error_type: 'runner_disconnected' };
    expect(readFalWebhook({ ...envelope, status: 'ERROR', error: 'Invalid status code: 503', payload }).observation).toEqual({
      kind: 'failed',
      providerStatus: 'ERROR',
      failure: { code: 'provider_error', retryable: false, detail: { error: 'Invalid status code: 503', payload } },
    });
  });

  it('fails an OK delivery whose payload fal could not read', () => {
    expect(readFalWebhook({ ...envelope, status: 'OK', payload: null, payload_error: 'not JSON' }).observation).toEqual({
      kind: 'failed',
      providerStatus: 'OK',
      failure: { code: 'provider_error', retryable: false, detail: { payload_error: 'not JSON' } },
    });
  });

  it.each([undefined, {}, { request_id: '', status: 'OK' }, { request_id: 'r', status: 'DONE', payload: {} }])('throws on %j', (body) => {
    expect(() => readFalWebhook(body)).toThrow(ProviderPayloadError);
  });
});
