import { describe, expect, it } from '@jest/globals';
import type { HttpAnswer } from '../http/provider-http';
import { bflObservation, bflSubmitFailure, isBflResultBody } from './bfl-status';

describe('bflObservation', () => {
  it('reads Pending as pending and Ready as a sample URL', () => {
    expect(bflObservation({ id: 'a', status: 'Pending', progress: 0.4 })).toEqual({ kind: 'pending', providerStatus: 'Pending' });
    expect(bflObservation({ id: 'a', status: 'Ready', result: { sample: 'https://blob/x.png' } })).toEqual({
      kind: 'succeeded',
      providerStatus: 'Ready',
      images: [{ kind: 'url', url: 'https://blob/x.png' }],
    });
  });

  it.each([
    ['Error', 'provider_error'],
    ['Failed', 'provider_error'],
    ['Task not found', 'provider_error'],
    ['Request Moderated', 'content_moderated'],
    ['Content Moderated', 'content_moderated'],
  ])('maps %s to a non-retryable %s keeping the body', (status, code) => {
    const body = { id: 'a', status, details: { reason: 'r' } };
    expect(bflObservation(body)).toEqual({ kind: 'failed', providerStatus: status, failure: { code, retryable: false, detail: body } });
  });

  it('fails a Ready without a sample', () => {
    expect(bflObservation({ status: 'Ready', result: null })).toMatchObject({ kind: 'failed', failure: { code: 'provider_error', retryable: false } });
  });

  it('keeps waiting on a status word it does not know', () => {
    expect(bflObservation({ status: 'Queued' })).toEqual({ kind: 'pending', providerStatus: 'Queued' });
  });

  it('recognises a result body by its status string', () => {
    expect([isBflResultBody({ status: 'Ready' }), isBflResultBody({ id: 'a' }), isBflResultBody(null), isBflResultBody('Ready')]).toEqual([true, false, false, false]);
  });
});

describe('bflSubmitFailure', () => {
  it('takes Retry-After over the body retry_after, and the body when there is no header', () => {
    const body = { error: 'rate_limit_exceeded', message: 'slow down', retry_after: 4 };
    expect(bflSubmitFailure(answer(429, body, { 'retry-after': '2' })).retryAfterSeconds).toBe(2);
    expect(bflSubmitFailure(answer(429, body))).toEqual({ code: 'provider_error', retryable: true, retryAfterSeconds: 4, detail: { httpStatus: 429, body } });
  });

  it.each([
    [402, 'provider_error', false],
    [403, 'provider_error', false],
    [400, 'provider_rejected', false],
    [422, 'provider_rejected', false],
    [500, 'provider_error', true],
    [503, 'provider_error', true],
  ])('maps HTTP %i to %s (retryable: %s)', (status, code, retryable) => {
    expect(bflSubmitFailure(answer(status, { detail: 'x' }))).toEqual({ code, retryable, detail: { httpStatus: status, body: { detail: 'x' } } });
  });
});

function answer(status: number, json: unknown, headers: Record<string, string> = {}): HttpAnswer {
  return { status, headers: new Headers(headers), text: JSON.stringify(json), json };
}
