export * from './gateway.module';
export * from './gateway.options';
export * from './accounts/accounts.repository';
export * from './accounts/api-keys';
