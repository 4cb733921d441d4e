export * from './darkroom-metrics';
export * from './cached';
export * from './stall';
export * from './readiness';
export * from './metrics-text';
