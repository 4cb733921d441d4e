export * from './provider-adapter.module';
export * from './staging';
