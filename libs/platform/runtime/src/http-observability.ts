import type { LoggerService } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { currentLogContext, withLogContext } from '@darkroom/logging';
import type { DarkroomMetrics } from '@darkroom/observability';

/** What the access log reads off a request once it has ended (set by the gateway's middleware and guards). */
interface Observed {
  readonly requestId?: string;
  readonly accountId?: string;
}

/** The route pattern that served the request (`/v1/generations/:id`), or `unmatched`: a bounded label, unlike the path. */
function routeOf(request: Request): string {
  const pattern = (request.route as { path?: unknown } | undefined)?.path;
  return typeof pattern === 'string' ? `${request.baseUrl}${pattern}` : 'unmatched';
}

/**
 * One access-log line and one `darkroom_http_request_duration_seconds` observation per
 * request, when its answer has been sent or the client went away (`aborted`). The request
 * runs in a log scope of its own, so what later middleware and guards add to it (request
 * id, account, task) is on the line too.
 */
export function httpObservability(metrics: DarkroomMetrics, logger: LoggerService, format: 'json' | 'text') {
  return (request: Request, response: Response, next: NextFunction): void => {
    const started = performance.now();
    withLogContext({}, () => {
      const context = currentLogContext();
      response.once('close', () => {
        const seconds = (performance.now() - started) / 1000;
        const route = routeOf(request);
        const status = response.statusCode;
        const aborted = !response.writableFinished;
        metrics.httpRequestDuration.observe({ method: request.method, route, status: String(status) }, seconds);
        const observed = request as Request & Observed;
        const line = {
          msg: 'request',
          method: request.method,
          route,
          path: request.path,
          status,
          duration_ms: Math.round(seconds * 10_000) / 10,
          request_id: observed.requestId ?? context.requestId,
          account_id: observed.accountId ?? context.accountId,
          task_id: context.taskId,
          ...(aborted ? { aborted: true } : {}),
        };
        if (format === 'json') logger.log(line, 'http');
        else {
          const ids = [line.request_id && `request ${line.request_id}`, line.account_id && `account ${line.account_id}`, line.task_id && `task ${line.task_id}`];
          logger.log(`${line.method} ${line.path} ${status} ${line.duration_ms} ms${aborted ? ' (aborted)' : ''} ${ids.filter(Boolean).join(' ')}`.trim(), 'http');
        }
      });
      next();
    });
  };
}
