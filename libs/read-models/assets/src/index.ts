export * from './asset.projection';
