export * from './provider-adapter.module';
export * from './staging';
export * from './callbacks/provider-callbacks.module';
