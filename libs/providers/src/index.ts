export * from './image-provider';
export * from './provider-settings';
export * from './http/provider-http';
export * from './local/local-renderer';
export * from './catalog/model-catalog';
