/**
 * Every bus consumer by name: each has its own queue and dead-letter queue, which the admin
 * API lists and re-drives. A service's handlers subscribe under its name here.
 */
export const Consumer = {
  generation: 'generation',
  ledger: 'ledger',
  providerAdapter: 'provider-adapter',
  storage: 'storage',
  /** Outbound webhooks': terminal task events become deliveries to the account's endpoints. */
  outboundWebhooks: 'outbound-webhooks',
} as const;

export type ConsumerName = (typeof Consumer)[keyof typeof Consumer];

export const CONSUMERS: readonly ConsumerName[] = Object.values(Consumer);
