import { describe, expect, it, jest } from '@jest/globals';
import { BadRequestException, Logger, type ArgumentsHost } from '@nestjs/common';
import { DomainError } from '@darkroom/kernel';
import { HttpProblem } from './http-problem';
import { problem, ProblemFilter } from './problem.filter';

interface Sent {
  status: number;
  type: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** Runs the filter on `error` for a request (by default one the middleware gave `req-1`) and returns what it sent. */
function sent(error: unknown, request: { requestId?: string; headers?: Record<string, string> } = { requestId: 'req-1' }): Sent {
  const out: Sent = { status: 0, type: '', headers: {}, body: {} };
  const response = {
    headersSent: false,
    setHeader(name: string, value: string) {
      out.headers[name.toLowerCase()] = value;
      return this;
    },
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
  const req = { headers: {}, ...request };
  const host = { switchToHttp: () => ({ getResponse: () => response, getRequest: () => req }) } as unknown as ArgumentsHost;
  new ProblemFilter().catch(error, host);
  return out;
}

describe('problem', () => {
  it('keeps the standard members when a detail uses the same names, and puts detail keys in snake_case', () => {
    expect(problem(409, 'generation_not_cancelable', 'No.', { status: 'canceled', code: 'x', taskId: 't1' })).toEqual({
      type: 'https://darkroom.dev/problems/generation_not_cancelable',
      title: 'Conflict',
      status: 409,
      detail: 'No.',
      code: 'generation_not_cancelable',
      task_id: 't1',
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
      headers: { 'x-request-id': 'req-1' },
      body: expect.objectContaining({ status: 409, code: 'generation_not_cancelable', task_id: 't1', request_id: 'req-1' }),
    });
  });

  it('sends an HTTP-only refusal with its own status and code', () => {
    expect(sent(new HttpProblem(415, 'unsupported_media_type', 'Upload a PNG.'))).toMatchObject({
      status: 415,
      body: { status: 415, title: 'Unsupported Media Type', code: 'unsupported_media_type', detail: 'Upload a PNG.' },
    });
  });
});

describe('ProblemFilter and request ids', () => {
  it('gives a request the middleware never saw (a body the parser refused) the caller id, in header and body', () => {
    const out = sent(new HttpProblem(400, 'malformed_request', 'Bad JSON.'), { headers: { 'x-request-id': 'caller-7' } });
    expect(out.headers['x-request-id']).toBe('caller-7');
    expect(out.body).toMatchObject({ code: 'malformed_request', request_id: 'caller-7' });
  });

  it('issues an id when there is none, the same in header and body', () => {
    const out = sent(new HttpProblem(413, 'payload_too_large', 'Too big.'), { headers: {} });
    expect(out.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.body['request_id']).toBe(out.headers['x-request-id']);
  });

  it('logs an unexpected error with the request id and answers 500 internal_error without its message', () => {
    const logged: string[] = [];
    const spy = jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => {
      logged.push(String(message));
    });
    try {
      const out = sent(new Error('secret connection string'));
      expect(out).toMatchObject({ status: 500, body: { code: 'internal_error', request_id: 'req-1' } });
      expect(JSON.stringify(out.body)).not.toContain('secret');
      expect(logged).toEqual([expect.stringContaining('request req-1')]);
      expect(logged[0]).toContain('secret connection string');
    } finally {
      spy.mockRestore();
    }
  });

  it("maps the body parser's refusals (http-errors with expose) to problems, not 500", () => {
    const tooLarge = Object.assign(new Error('request entity too large'), { status: 413, expose: true, type: 'entity.too.large' });
    expect(sent(tooLarge)).toMatchObject({ status: 413, body: { code: 'payload_too_large', title: 'Payload Too Large' } });
    const charset = Object.assign(new Error('unsupported charset "X"'), { status: 415, expose: true });
    expect(sent(charset)).toMatchObject({ status: 415, body: { code: 'unsupported_media_type' } });
    // Not exposed (a server-side failure that happens to carry a status): still a 500.
    expect(sent(Object.assign(new Error('x'), { status: 400, expose: false })).status).toBe(500);
  });

  it("answers a path parameter Express cannot decode (Nest's 400) as malformed_request", () => {
    expect(sent(new BadRequestException("Failed to decode param 'a%ED%A0%80'"))).toMatchObject({
      status: 400,
      body: { code: 'malformed_request', detail: "The request could not be read: Failed to decode param 'a%ED%A0%80'" },
    });
  });

  it('sends 408 as Request Timeout', () => {
    expect(sent(new HttpProblem(408, 'request_timeout', 'Quiet.')).body).toMatchObject({ status: 408, title: 'Request Timeout' });
  });

  it('sends 429 as Too Many Requests', () => {
    expect(sent(new HttpProblem(429, 'rate_limited', 'Slow down.', { retry_after: 3 })).body).toMatchObject({
      status: 429,
      title: 'Too Many Requests',
      retry_after: 3,
    });
  });
});
