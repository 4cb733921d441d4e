export * from './asset.commands';
export * from './asset.state';
export * from './asset.decide';
export * from './asset.decider';
