export * from './ledger.module';
export * from './ledger.handlers';
export * from './reservation-sweeper';
export * from './ledger.env';
export * from './credit-grants/credit-grants.module';
