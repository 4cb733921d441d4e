export * from './gateway.module';
export * from './gateway.options';
export * from './accounts/accounts.repository';
export * from './accounts/api-keys';
export * from './http/openapi';
export { DEFAULT_RATE_LIMIT, type RateLimitSettings } from './http/rate-limit/rate-limit.service';
export * from './outbound-webhooks/outbound-webhooks.options';
export { OUTBOUND_WEBHOOKS } from './outbound-webhooks/outbound-webhooks.handlers';
export * from './studio/serve-studio';
