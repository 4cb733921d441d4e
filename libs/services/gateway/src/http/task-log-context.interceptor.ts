import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { addToLogContext } from '@darkroom/logging';
import { isUuid } from './ids';

/** Routes whose `:id` is a task's id. */
const TASK_ROUTE = /^\/v1\/generations\/:id(\/|$)/;

/** A request about one task logs its `task_id` (and its access-log line has it): the task's id is its correlation id. */
@Injectable()
export class TaskLogContextInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    const pattern = (request.route as { path?: unknown } | undefined)?.path;
    const id = request.params?.['id'];
    if (typeof pattern === 'string' && TASK_ROUTE.test(pattern) && typeof id === 'string' && isUuid(id)) {
      addToLogContext({ taskId: id.toLowerCase(), correlationId: id.toLowerCase() });
    }
    return next.handle();
  }
}
