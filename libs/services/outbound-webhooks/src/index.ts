export * from './outbound-webhooks.module';
export * from './outbound-webhooks.options';
export { OUTBOUND_WEBHOOKS } from './outbound-webhooks.handlers';
