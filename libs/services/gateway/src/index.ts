export * from './gateway.module';
export * from './gateway.options';
export * from './gateway.env';
export type { AssetServing } from './assets/asset-delivery';
export * from './accounts/accounts.repository';
export * from './accounts/api-keys';
export * from './http/openapi';
export { DEFAULT_RATE_LIMIT, type RateLimitSettings } from './http/rate-limit/rate-limit.service';
export * from './studio/serve-studio';
