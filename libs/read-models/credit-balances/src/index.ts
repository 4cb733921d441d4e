export * from './credit-balance.evolve';
export * from './credit-balance.repository';
export * from './credit-balance.projection';
