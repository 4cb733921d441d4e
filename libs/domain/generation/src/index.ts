export * from './generation.commands';
export * from './generation.state';
export * from './generation.decide';
export * from './generation.decider';
export * from './provider-circuit';
