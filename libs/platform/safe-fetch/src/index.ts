export * from './safe-fetch.result';
export { SafeFetcher, DEFAULT_MAX_BYTES, type SafeFetcherOptions } from './safe-fetcher';
export { addressRefusal } from './address-policy';
export { hostAllowed } from './url-policy';
export type { Resolve } from './checked-lookup';
export { SafePoster, type SafePosterOptions, type SafePostResult, type SafePostResponse } from './safe-post';
export { hostNameRefusal, INTERNAL_NAME_SUFFIXES } from './public-host-policy';
