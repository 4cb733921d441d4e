export * from './ledger.module';
export * from './credit-balances/credit-balance.projection';
