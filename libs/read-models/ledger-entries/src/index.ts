export * from './ledger-entry.projection';
export * from './ledger-entries.query';
export * from './reservation-metrics';
