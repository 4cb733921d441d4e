export * from './credit-balance.projection';
