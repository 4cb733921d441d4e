import type { LoggerService, LogLevel } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';
import { currentLogContext, type LogContext } from './log-context';

/** Nest's level names, most severe first, and the pino level each one writes at. */
const pinoLevelOf: Readonly<Record<LogLevel, pino.Level>> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/** snake_case keys in the JSON lines, like the API. */
const fieldNames: Readonly<Record<keyof LogContext, string>> = {
  requestId: 'request_id',
  correlationId: 'correlation_id',
  taskId: 'task_id',
  accountId: 'account_id',
  eventType: 'event_type',
  eventId: 'event_id',
  consumer: 'consumer',
};

function contextFields(): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(currentLogContext())) {
    if (value !== undefined) fields[fieldNames[key as keyof LogContext]] = value;
  }
  return fields;
}

export interface PinoLoggerOptions {
  /** The process's name (`service` in every line). */
  readonly service: string;
  /** Nest level name: lines below it are dropped. */
  readonly level: LogLevel;
  /** Where lines go; stdout by default (written synchronously, so a crash loses nothing). */
  readonly destination?: DestinationStream;
}

/**
 * Nest's logger port writing one JSON object per line through pino, with the request id,
 * correlation and task id, account and event type of the work in progress.
 */
export class PinoLogger implements LoggerService {
  private readonly logger: Logger;

  constructor(options: PinoLoggerOptions) {
    this.logger = pino(
      {
        level: pinoLevelOf[options.level],
        base: { service: options.service, pid: process.pid },
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
        mixin: contextFields,
      },
      options.destination ?? pino.destination({ dest: 1, sync: true }),
    );
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.write('log', message, rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    // Nest passes (message, stack?, context?).
    const [stack, context] = rest.length >= 2 ? rest : [undefined, rest[0]];
    this.write('error', message, context === undefined ? [] : [context], typeof stack === 'string' ? stack : undefined);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('verbose', message, rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: LogLevel, message: unknown, rest: unknown[], stack?: string): void {
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    const fields: Record<string, unknown> = {};
    if (context) fields['context'] = context;
    if (stack) fields['stack'] = stack;
    if (message instanceof Error) {
      fields['err'] = message;
      this.logger[pinoLevelOf[level]](fields, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.logger[pinoLevelOf[level]]({ ...fields, ...(message as object) });
    } else {
      this.logger[pinoLevelOf[level]](fields, String(message));
    }
  }
}
