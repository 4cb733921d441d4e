export * from './image-provider';
export * from './local/local-renderer';
export * from './catalog/model-catalog';
