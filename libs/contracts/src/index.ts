export * from './envelope';
export * from './streams';
export * from './failure-codes';
export * from './generation.events';
export * from './credit-account.events';
export * from './provider-job.events';
export * from './asset.events';
export * from './consumers';
