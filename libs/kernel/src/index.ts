export * from './decider';
export * from './subject-decider';
export * from './domain-error';
export * from './clock';
export * from './ids';
