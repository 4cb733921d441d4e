import type { NextFunction, Request, Response } from 'express';
import { newId } from '@darkroom/kernel';

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
  const incoming = request.headers[REQUEST_ID_HEADER];
  const id = typeof incoming === 'string' && ACCEPTABLE.test(incoming) ? incoming : newId();
  request.requestId = id;
  response.setHeader('X-Request-Id', id);
  next();
}

/** The id `requestIdMiddleware` gave this request (a fresh one outside HTTP). */
export const requestIdOf = (request: WithRequestId): string => request.requestId ?? newId();
