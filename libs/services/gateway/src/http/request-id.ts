import type { NextFunction, Request, Response } from 'express';
import { newId } from '@darkroom/kernel';
import { addToLogContext, hasLogContext, withLogContext } from '@darkroom/logging';

/** A caller's own request id is kept when it is a plain token; anything else gets ours. */
const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

export const REQUEST_ID_HEADER = 'x-request-id';

export interface WithRequestId {
  requestId?: string;
}

/**
 * Every request gets an id: echoed in `X-Request-Id`, written into the metadata of the
 * events it appends, and quoted in problem bodies and error logs.
 */
export function requestIdMiddleware(request: Request & WithRequestId, response: Response, next: NextFunction): void {
  const id = assignRequestId(request, response);
  // Inside the process's access-log scope (startApp), the id joins it; on its own, it opens one.
  if (!hasLogContext()) return withLogContext({ requestId: id }, next);
  addToLogContext({ requestId: id });
  next();
}

/**
 * Gives the request its id once, and the response its header. The problem filter calls it
 * too: a body the parser refuses never reaches the middleware.
 */
export function assignRequestId(
  request: Pick<Request, 'headers'> & WithRequestId,
  response: Pick<Response, 'setHeader' | 'headersSent'>,
): string {
  if (request.requestId === undefined) {
    const incoming = request.headers[REQUEST_ID_HEADER];
    request.requestId = typeof incoming === 'string' && ACCEPTABLE.test(incoming) ? incoming : newId();
  }
  if (!response.headersSent) response.setHeader('X-Request-Id', request.requestId);
  return request.requestId;
}

/** The id `requestIdMiddleware` gave this request (a fresh one outside HTTP). */
export const requestIdOf = (request: WithRequestId): string => request.requestId ?? newId();
