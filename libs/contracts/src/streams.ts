/** Stream categories: the part of a stream id before the first dash-separated id. */
export const Category = {
  generation: 'generation',
  creditAccount: 'credit-account',
  providerJob: 'provider-job',
  asset: 'asset',
  providerCircuit: 'provider-circuit',
} as const;
export type Category = (typeof Category)[keyof typeof Category];

const categories: readonly Category[] = Object.values(Category);

export const generationStream = (taskId: string): string => `${Category.generation}-${taskId}`;
export const creditAccountStream = (accountId: string): string => `${Category.creditAccount}-${accountId}`;
export const providerJobStream = (taskId: string, attempt: number): string =>
  `${Category.providerJob}-${taskId}-${attempt}`;
/** One circuit breaker per (provider, model); `~` cannot occur in either id. */
export const providerCircuitStream = (provider: string, model: string): string =>
  `${Category.providerCircuit}-${provider}~${model}`;
export const assetStream = (assetId: string): string => `${Category.asset}-${assetId}`;

export function categoryOf(streamId: string): Category {
  // Longest first: "credit-account-x" must not read as a category "credit".
  const match = [...categories]
    .sort((a, b) => b.length - a.length)
    .find((category) => streamId.startsWith(`${category}-`));
  if (!match) throw new Error(`Stream id "${streamId}" has no known category`);
  return match;
}

/** AMQP routing key of an event: `<category>.<EventType>`, e.g. `generation.GenerationQueued`. */
export const routingKey = (streamId: string, type: string): string => `${categoryOf(streamId)}.${type}`;

/** Routing key for an event type of a category, for bindings and handler patterns. */
export const eventKey = (category: Category, type: string): string => `${category}.${type}`;
