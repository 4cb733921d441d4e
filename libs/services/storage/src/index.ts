export * from './storage.module';
export * from './asset-keys';
export * from './assets/asset.projection';
