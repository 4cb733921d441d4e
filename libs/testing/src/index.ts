export * from './test-database';
export * from './s3rver';
export * from './decider-spec';
export * from './rabbitmq';
export * from './recorded-event';
export * from './image-bombs';
