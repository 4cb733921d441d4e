export * from './load-config';
export * from './platform.env';
