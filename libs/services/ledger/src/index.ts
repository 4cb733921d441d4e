export * from './ledger.module';
export * from './ledger.handlers';
export * from './reservation-sweeper';
export * from './credit-balances/credit-balance.projection';
export * from './ledger-entries/ledger-entry.projection';
export * from './ledger-entries/ledger-entries.query';
export * from './reservation-metrics';
export * from './credit-grants/credit-grants.module';
