export * from './generation.module';
export * from './generation.env';
