export * from './spend-usage.evolve';
export * from './spend-usage.repository';
export * from './spend-usage.projection';
