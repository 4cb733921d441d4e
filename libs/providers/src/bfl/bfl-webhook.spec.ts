import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { ProviderPayloadError } from '../image-provider';
import { parseBflWebhook, verifyBflSignature } from './bfl-webhook';

const body = Buffer.from(JSON.stringify({ id: 'task-1', status: 'Ready', result: { sample: 'https://blob/s.png', seed: 1 }, timestamp: 1 }));
const sign = (secret: string, raw: Buffer) => `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

describe('verifyBflSignature', () => {
  it('accepts the HMAC of the raw body, in either hex case', () => {
    expect(verifyBflSignature('s3cret', sign('s3cret', body), body)).toBe(true);
    expect(verifyBflSignature('s3cret', sign('s3cret', body).toUpperCase().replace('SHA256=', 'sha256='), body)).toBe(true);
  });

  it.each([
    ['another secret', sign('other', body)],
    ['no prefix', sign('s3cret', body).slice('sha256='.length)],
    ['a truncated digest', sign('s3cret', body).slice(0, -2)],
    ['an empty header', ''],
  ])('refuses %s', (_, signature) => {
    expect(verifyBflSignature('s3cret', signature, body)).toBe(false);
  });

  it('refuses everything without a secret or a signature', () => {
    expect(verifyBflSignature(undefined, sign('', body), body)).toBe(false);
    expect(verifyBflSignature('s3cret', undefined, body)).toBe(false);
  });
});

describe('parseBflWebhook', () => {
  it('gives the same delivery id to a replay and a new one to a different signature', () => {
    const first = parseBflWebhook('sha256=aa', body);
    expect(parseBflWebhook('sha256=aa', body).deliveryId).toBe(first.deliveryId);
    expect(parseBflWebhook('sha256=bb', body).deliveryId).not.toBe(first.deliveryId);
    expect(first).toMatchObject({ providerJobId: 'task-1', confirmByPoll: true, observation: { kind: 'succeeded' } });
  });

  it('maps an Error callback to a failed observation', () => {
    const failure = Buffer.from(JSON.stringify({ id: 'task-2', status: 'Error', error: 'boom', message: 'worker died' }));
    expect(parseBflWebhook(undefined, failure).observation).toEqual({
      kind: 'failed',
      providerStatus: 'Error',
      failure: { code: 'provider_error', retryable: false, detail: { id: 'task-2', status: 'Error', error: 'boom', message: 'worker died' } },
    });
  });

  it.each(['not json', '[]', '{"status":"Ready"}', '{"id":"","status":"Ready"}', '{"id":"a","status":3}'])('throws ProviderPayloadError on %p', (raw) => {
    expect(() => parseBflWebhook(undefined, Buffer.from(raw))).toThrow(ProviderPayloadError);
  });
});
