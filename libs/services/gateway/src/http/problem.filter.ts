import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { isDatabaseUnreachable } from '@darkroom/database';
import { DomainError, type ErrorCategory } from '@darkroom/kernel';
import { HttpProblem } from './http-problem';
import { assignRequestId, type WithRequestId } from './request-id';
import { snakeCaseKeys } from './snake-case';

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
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
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
 * Their keys are snake_case like the rest of the API (a decider's detail is camelCase).
 */
export function problem(status: number, code: string, detail: string, extensions: Record<string, unknown> = {}): Problem {
  return {
    ...(snakeCaseKeys(extensions) as Record<string, unknown>),
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
  // Our own code throws DomainError or HttpProblem; a bare 400 here is Nest mapping an error
  // of Express, such as a path parameter that is not percent-encoded UTF-8.
  if (status === 400) return problem(400, 'malformed_request', `The request could not be read: ${detail}`);
  const code = status === 404 ? 'route_not_found' : status === 413 ? 'payload_too_large' : `http_${status}`;
  return problem(status, code, detail);
}

/**
 * An error of the body parser (http-errors: `expose` set, a 4xx `status`): the request was
 * refused before any route ran, e.g. a JSON body over the parser's limit.
 */
interface ExposedHttpError {
  readonly status: number;
  readonly expose: true;
  readonly message: string;
}

function isExposedHttpError(error: unknown): error is ExposedHttpError {
  const candidate = error as Partial<ExposedHttpError> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    candidate.expose === true &&
    typeof candidate.status === 'number' &&
    candidate.status >= 400 &&
    candidate.status < 500
  );
}

const codeOfExposed: Readonly<Record<number, string>> = {
  400: 'malformed_request',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

/** What a client is told to wait when the database is out: outages seen here last seconds. */
export const DATABASE_OUTAGE_RETRY_AFTER_SECONDS = 2;

/** The one place errors become HTTP: domain codes map by category, anything else is a 500. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemFilter.name);

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const requestId = assignRequestId(http.getRequest<Request & WithRequestId>(), response);
    let body: Problem;
    if (error instanceof DomainError) {
      body = problem(statusOf[error.category], error.code, error.message, { ...(error.detail ?? {}) });
    } else if (error instanceof HttpProblem) {
      body = problem(error.status, error.code, error.message, { ...error.extensions });
    } else if (error instanceof HttpException) {
      body = fromHttpException(error);
    } else if (isExposedHttpError(error)) {
      body = problem(error.status, codeOfExposed[error.status] ?? `http_${error.status}`, error.message);
    } else if (isDatabaseUnreachable(error)) {
      this.logger.warn(`request ${requestId}: database unreachable: ${error instanceof Error ? error.message : String(error)}`);
      response.setHeader('Retry-After', String(DATABASE_OUTAGE_RETRY_AFTER_SECONDS));
      body = problem(503, 'database_unavailable', 'The database cannot be reached right now; retry after the time in Retry-After.');
    } else {
      this.logger.error(`request ${requestId}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      body = problem(500, 'internal_error', 'Something went wrong on our side; the request may be retried.');
    }
    this.send(response, { ...body, request_id: requestId });
  }

  /** Writes the problem; a route family with its own error dialect (the OpenAI façade) adds to it here. */
  protected send(response: Response, body: Problem): void {
    response.status(body.status).type('application/problem+json').send(JSON.stringify(body));
  }
}
