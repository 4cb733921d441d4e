export * from './asset.evolve';
export * from './asset.repository';
export * from './asset.projection';
