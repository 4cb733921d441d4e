export * from './event-store';
export * from './errors';
export * from './pg-event-store';
export * from './commit-signal';
