export * from './generation.module';
