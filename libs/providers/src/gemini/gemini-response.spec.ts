import { describe, expect, it } from '@jest/globals';
import { geminiResult } from './gemini-response';

const image = (data: string, extra: object = {}) => ({ inlineData: { mimeType: 'image/png', data }, ...extra });
const answer = (parts: object[], finishReason = 'STOP') => ({ candidates: [{ content: { role: 'model', parts }, finishReason }] });

describe('geminiResult', () => {
  it('returns every final image part, skipping text and thought drafts', () => {
    const result = geminiResult(answer([{ text: 'here' }, image('AAAA', { thought: true }), image('AQID'), { inlineData: { mimeType: 'image/webp', data: 'BAU=' } }]), '');
    expect(result).toEqual({
      ok: true,
      images: [
        { kind: 'bytes', bytes: Buffer.from([1, 2, 3]), contentType: 'image/png' },
        { kind: 'bytes', bytes: Buffer.from([4, 5]), contentType: 'image/webp' },
      ],
    });
  });

  it('reads URL-safe base64 too', () => {
    expect(geminiResult(answer([image('-_-_')]), '')).toEqual({ ok: true, images: [{ kind: 'bytes', bytes: Buffer.from('-_-_', 'base64url'), contentType: 'image/png' }] });
  });

  it('treats a blockReason as moderation even when candidates are present', () => {
    const json = { ...answer([image('AQID')]), promptFeedback: { blockReason: 'OTHER', blockReasonMessage: 'no' }, responseId: 'r1' };
    expect(geminiResult(json, '')).toEqual({
      ok: false,
      failure: { code: 'content_moderated', retryable: false, detail: { blockReason: 'OTHER', blockReasonMessage: 'no', responseId: 'r1' } },
    });
  });

  it.each([
    ['BLOCKLIST', 'content_moderated'],
    ['SPII', 'content_moderated'],
    ['IMAGE_RECITATION', 'content_moderated'],
    ['PROHIBITED_CONTENT', 'content_moderated'],
    ['LANGUAGE', 'provider_rejected'],
    ['NO_IMAGE', 'provider_rejected'],
  ])('maps finishReason %s without an image to %s', (finishReason, code) => {
    expect(geminiResult(answer([], finishReason), '')).toMatchObject({ ok: false, failure: { code, retryable: false, detail: { finishReason } } });
  });

  it('rejects an answer with no candidates and no feedback', () => {
    expect(geminiResult({}, '{}')).toMatchObject({ ok: false, failure: { code: 'provider_rejected', detail: { finishReason: null } } });
  });

  it.each(['not base64!', 'AQIDB', ''])('fails without retry on malformed base64 %p', (data) => {
    expect(geminiResult(answer([image(data)]), '')).toEqual({
      ok: false,
      failure: { code: 'provider_error', retryable: false, detail: { malformedBase64: true, mimeType: 'image/png' } },
    });
  });

  it('fails without retry on a body that is not JSON', () => {
    expect(geminiResult(undefined, '<html>oops')).toEqual({ ok: false, failure: { code: 'provider_error', retryable: false, detail: { malformedResponse: '<html>oops' } } });
  });
});
