export * from './sql';
export * from './typeorm-sql';
export * from './data-source';
export * from './connection-failure';
