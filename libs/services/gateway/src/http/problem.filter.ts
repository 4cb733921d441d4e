import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError, type ErrorCategory } from '@darkroom/kernel';
import { HttpProblem } from './http-problem';
import { requestIdOf, type WithRequestId } from './request-id';

const statusOf: Readonly<Record<ErrorCategory, number>> = {
  validation: HttpStatus.BAD_REQUEST,
  not_found: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  payment_required: HttpStatus.PAYMENT_REQUIRED,
  unauthorized: HttpStatus.UNAUTHORIZED,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  internal: HttpStatus.INTERNAL_SERVER_ERROR,
};

const titles: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  404: 'Not Found',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** RFC 7807 problem details body; `code` is stable and documented. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly [extension: string]: unknown;
}

/**
 * Extensions come first so that a domain detail named like a standard member (the
 * decider's `status: "canceled"`) cannot replace it: `status` is always the HTTP status.
 */
export function problem(status: number, code: string, detail: string, extensions: Record<string, unknown> = {}): Problem {
  return {
    ...extensions,
    type: `https://darkroom.dev/problems/${code}`,
    title: titles[status] ?? 'Error',
    status,
    detail,
    code,
  };
}

function fromHttpException(error: HttpException): Problem {
  const status = error.getStatus();
  const body = error.getResponse();
  const message = typeof body === 'string' ? body : ((body as { message?: unknown }).message ?? error.message);
  const detail = Array.isArray(message) ? message.join('; ') : String(message);
  // Our own code throws DomainError; a bare 400 here is Nest mapping a body the parser refused.
  if (status === 400) return problem(400, 'malformed_request', `The request body could not be parsed: ${detail}`);
  const code = status === 404 ? 'route_not_found' : status === 413 ? 'payload_too_large' : `http_${status}`;
  return problem(status, code, detail);
}

/** The one place errors become HTTP: domain codes map by category, anything else is a 500. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemFilter.name);

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const requestId = requestIdOf(http.getRequest<WithRequestId>());
    let body: Problem;
    if (error instanceof DomainError) {
      body = problem(statusOf[error.category], error.code, error.message, { ...(error.detail ?? {}) });
    } else if (error instanceof HttpProblem) {
      body = problem(error.status, error.code, error.message, { ...error.extensions });
    } else if (error instanceof HttpException) {
      body = fromHttpException(error);
    } else {
      this.logger.error(`request ${requestId}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      body = problem(500, 'internal_error', 'Something went wrong on our side; the request may be retried.');
    }
    body = { ...body, request_id: requestId };
    response.status(body.status).type('application/problem+json').send(JSON.stringify(body));
  }
}
