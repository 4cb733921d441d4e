export * from './generation.module';
export * from './generations/generation-row';
export * from './generations/generation.projection';
