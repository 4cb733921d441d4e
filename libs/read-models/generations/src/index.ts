export * from './generation-row';
export * from './generation.projection';
export * from './generation-list';
export * from './task-metrics';
