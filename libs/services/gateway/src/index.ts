export * from './gateway.module';
export * from './gateway.options';
export * from './accounts/accounts.repository';
export * from './accounts/api-keys';
export * from './http/openapi';
export { DEFAULT_RATE_LIMIT, type RateLimitSettings } from './http/rate-limit/rate-limit.service';
export * from './studio/serve-studio';
