export * from './log-context';
export * from './pino-logger';
