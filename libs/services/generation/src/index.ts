export * from './generation.module';
export * from './generations/generation-row';
export * from './generations/generation.projection';
export * from './generations/generation-list';
export * from './task-metrics';
export * from './commands/generation-commands.module';
