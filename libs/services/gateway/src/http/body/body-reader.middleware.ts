import type { NextFunction, Request, Response } from 'express';
import { HttpProblem } from '../http-problem';
import { BODY_IDLE_TIMEOUT_MS, bodyLimitsFor, type BodyLimits } from './body-limits';
import { parseJsonBody } from './json-body';
import { closeAfterAnswer } from './lingering-close';
import { BodyNotRead, readCapped } from './read-capped';

/** The request after the reader: the bytes as sent (provider callbacks are verified on them). */
export interface WithRawBody {
  rawBody?: Buffer;
}

const mediaType = (request: Request) => (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
const isJson = (type: string) => type === 'application/json' || /^application\/[^/]+\+json$/.test(type);

function hasBody(request: Request): boolean {
  return request.headers['transfer-encoding'] !== undefined || request.headers['content-length'] !== undefined;
}

const megabytes = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 100) / 100} MB`;
const size = (bytes: number) => (bytes < 1024 * 1024 ? `${bytes / 1024} KB` : megabytes(bytes));

const tooLarge = (limit: number) =>
  new HttpProblem(413, 'payload_too_large', `The request body is over this route's limit of ${size(limit)}.`, { limit_bytes: limit });

/** Refusals that arrive before or in the middle of the body: nothing behind them is read. */
function refusalBeforeTheEnd(request: Request, limits: BodyLimits): HttpProblem | undefined {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limits.maxBytes) return tooLarge(limits.maxBytes);
  const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') {
    return new HttpProblem(415, 'unsupported_media_type', `Send the body uncompressed; Content-Encoding "${encoding}" is not accepted.`);
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8' && isJson(mediaType(request))) {
    return new HttpProblem(415, 'unsupported_media_type', `Send JSON as UTF-8; charset "${charset}" is not accepted.`);
  }
  return undefined;
}

async function readBody(request: Request & WithRawBody, limits: BodyLimits): Promise<void> {
  const refused = refusalBeforeTheEnd(request, limits);
  if (refused) throw refused;
  let bytes: Buffer;
  try {
    bytes = await readCapped(request, { maxBytes: limits.maxBytes, idleMs: BODY_IDLE_TIMEOUT_MS });
  } catch (error) {
    if (!(error instanceof BodyNotRead)) throw error;
    if (error.reason === 'too_large') throw tooLarge(limits.maxBytes);
    if (error.reason === 'idle') {
      throw new HttpProblem(408, 'request_timeout', `The request body sent nothing for ${BODY_IDLE_TIMEOUT_MS / 1000} s.`);
    }
    throw error;
  }
  request.rawBody = bytes;
  if (isJson(mediaType(request))) request.body = parseJsonBody(bytes, limits);
}

/**
 * Reads every request body at the edge, in place of Nest's body-parser (which reads an
 * over-limit body to its end before answering, and never answers one that does not end):
 * a declared length over the route's limit is refused from the header, a body is refused
 * the moment it passes the limit or goes quiet, and such a refusal closes the connection
 * (`closeAfterAnswer`) rather than drain the rest. JSON is parsed within depth and key
 * limits. Multipart is left to the upload routes' own reader.
 */
export function bodyReader() {
  return (request: Request & WithRawBody, response: Response, next: NextFunction): void => {
    if (!hasBody(request) || request.rawBody !== undefined || mediaType(request).startsWith('multipart/')) return next();
    // originalUrl: under the middleware's mount point `path` is relative.
    readBody(request, bodyLimitsFor(request.method, request.originalUrl.split('?')[0])).then(
      () => next(),
      (error: unknown) => {
        if (error instanceof BodyNotRead) return; // The client went away: nobody to answer.
        if (error instanceof HttpProblem && !request.complete) closeAfterAnswer(request, response);
        next(error);
      },
    );
  };
}
