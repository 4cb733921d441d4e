import { describe, expect, it } from '@jest/globals';
import type { ArgumentsHost } from '@nestjs/common';
import { DomainError } from '@darkroom/kernel';
import { HttpProblem } from './http-problem';
import { problem, ProblemFilter } from './problem.filter';

/** Runs the filter on `error` and returns what it sent. */
function sent(error: unknown): { status: number; type: string; body: Record<string, unknown> } {
  const out = { status: 0, type: '', body: {} as Record<string, unknown> };
  const response = {
    status(code: number) {
      out.status = code;
      return this;
    },
    type(value: string) {
      out.type = value;
      return this;
    },
    send(text: string) {
      out.body = JSON.parse(text);
      return this;
    },
  };
  const request = { requestId: 'req-1' };
  const host = { switchToHttp: () => ({ getResponse: () => response, getRequest: () => request }) } as unknown as ArgumentsHost;
  new ProblemFilter().catch(error, host);
  return out;
}

describe('problem', () => {
  it('keeps the standard members when a detail uses the same names', () => {
    expect(problem(409, 'generation_not_cancelable', 'No.', { status: 'canceled', code: 'x', taskId: 't1' })).toEqual({
      type: 'https://darkroom.dev/problems/generation_not_cancelable',
      title: 'Conflict',
      status: 409,
      detail: 'No.',
      code: 'generation_not_cancelable',
      taskId: 't1',
    });
  });
});

describe('ProblemFilter', () => {
  it('maps a domain error by its category and keeps its detail', () => {
    const error = new DomainError('generation_not_cancelable', 'conflict', 'A canceled generation cannot be canceled', {
      taskId: 't1',
      status: 'canceled',
    });
    expect(sent(error)).toEqual({
      status: 409,
      type: 'application/problem+json',
      body: expect.objectContaining({ status: 409, code: 'generation_not_cancelable', taskId: 't1', request_id: 'req-1' }),
    });
  });

  it('sends an HTTP-only refusal with its own status and code', () => {
    expect(sent(new HttpProblem(415, 'unsupported_media_type', 'Upload a PNG.'))).toMatchObject({
      status: 415,
      body: { status: 415, title: 'Unsupported Media Type', code: 'unsupported_media_type', detail: 'Upload a PNG.' },
    });
  });
});
