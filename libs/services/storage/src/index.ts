export * from './storage.module';
export * from './asset-keys';
export * from './storage.options';
export { STORAGE } from './storage.handlers';
export * from './storage.env';
