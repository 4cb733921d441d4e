import { applyDecorators, UseInterceptors, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { catchError, throwError, type Observable } from 'rxjs';
import { EventContext } from './event-context';

/** The pattern `OnEvent` registers: which consumer handles which routing key. */
export interface EventRoute {
  readonly consumer: string;
  readonly key: string;
}

/**
 * Keeps the handler's own error on the context: Nest's RPC exception filter would replace
 * it with "Internal server error", and the dead-letter queue should say what went wrong.
 */
class CaptureHandlerError implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) => {
        const ctx = context.switchToRpc().getContext<unknown>();
        if (ctx instanceof EventContext) ctx.handlerError = error;
        return throwError(() => error);
      }),
    );
  }
}

const captureHandlerError = new CaptureHandlerError();

/**
 * Declares an event handler of `consumer` for routing key `key` (topic wildcards allowed):
 * `@OnEvent('ledger', eventKey(Category.generation, 'GenerationCreated'))`. One Nest app can
 * host several consumers; each gets its own queue bound to exactly its keys.
 */
export function OnEvent(consumer: string, key: string): MethodDecorator {
  const route: EventRoute = { consumer, key };
  return applyDecorators(EventPattern(route), UseInterceptors(captureHandlerError));
}
