export * from './generation-row';
export * from './generation-row.evolve';
export * from './generation-row.repository';
export * from './generation.projection';
export * from './generation-list';
export * from './task-metrics';
export * from './task.resource';
export * from './provider-circuits';
