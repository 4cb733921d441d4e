export * from './load-config';
export * from './env-transforms';
export * from './platform.env';
export * from './outbound-webhooks.env';
