export * from './ledger-entry.evolve';
export * from './ledger-entry.repository';
export * from './ledger-entry.projection';
export * from './ledger-entries.query';
export * from './reservation-metrics';
