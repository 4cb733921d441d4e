export * from './batches.repository';
