export * from './generation.module';
export * from './generation.env';
export * from './commands/generation-commands.module';
