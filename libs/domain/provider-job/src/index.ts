export * from './provider-job.commands';
export * from './provider-job.state';
export * from './provider-job.decide';
export * from './provider-job.decider';
