export * from './load-config';
export * from './platform.env';
export * from './outbound-webhooks.env';
