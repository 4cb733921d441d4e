export * from './projection';
export * from './checkpoints';
export * from './log-position';
export * from './projection-runner';
export * from './projection-tables';
export * from './rebuild-jobs';
export * from './projection-rebuild';
