import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What every log line written while handling one request or one message carries: set where
 * the work starts (the HTTP middleware, the event transport), read by the logger.
 */
export interface LogContext {
  requestId?: string;
  correlationId?: string;
  taskId?: string;
  accountId?: string;
  eventType?: string;
  eventId?: string;
  consumer?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs `work` with `fields` added to the current context (an inner scope sees the outer one's fields). */
export function withLogContext<T>(fields: LogContext, work: () => T): T {
  return storage.run({ ...storage.getStore(), ...definedOnly(fields) }, work);
}

/** Adds fields to the current scope, e.g. the account once the API key is resolved. */
export function addToLogContext(fields: LogContext): void {
  const current = storage.getStore();
  if (current) Object.assign(current, definedOnly(fields));
}

/** Whether some work has opened a log scope around the caller. */
export function hasLogContext(): boolean {
  return storage.getStore() !== undefined;
}

export function currentLogContext(): LogContext {
  return storage.getStore() ?? {};
}

function definedOnly(fields: LogContext): LogContext {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== '')) as LogContext;
}
