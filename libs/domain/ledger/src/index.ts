export * from './credit-account.commands';
export * from './credit-account.state';
export * from './credit-account.decide';
export * from './credit-account.decider';
export * from './spend-caps';
