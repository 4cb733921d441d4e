import type { ConsumerOptions } from '@darkroom/messaging';
import type { ImageDecoder, ModelCatalog, Moderation } from '@darkroom/providers';
import type { OrphanSweepOptions } from './retention/orphan-sweeper';

export interface RetentionOptions {
  /** Days an asset is kept when its account sets none (fractions allowed). */
  readonly defaultDays: number;
  /** Pause between retention sweeps. */
  readonly sweepIntervalMs: number;
}

export interface StorageOptions {
  /**
   * host:port pairs of test fakes: their result URLs may be fetched over plain http and skip
   * the host allowlist and the address check (they listen on loopback). None in production.
   */
  readonly httpHosts: readonly string[];
  /** Each provider's `resultHosts`: where its result URLs may be downloaded from. */
  readonly catalog: ModelCatalog;
  /** Checks every result image before it is kept. */
  readonly moderation: Moderation;
  /** The process's decode budget and slots; every result image passes it (default: `DEFAULT_DECODE_LIMITS`). */
  readonly images?: ImageDecoder;
  /** Deleting expired assets; off when absent. */
  readonly retention?: RetentionOptions;
  /** Deleting objects no event records; off when absent. */
  readonly orphans?: OrphanSweepOptions;
}

/**
 * Delivery settings of the storage consumer. A bucket read or write that fails (S3 down or
 * throttled) throws and the message comes back after 1 s, 10 s, 60 s and 300 s: five
 * deliveries over about six minutes, which outlasts a short outage and reaches past the
 * shortest model deadline (5 minutes), after which a stored output could no longer complete
 * its task. Only then is it dead-lettered (an admin can re-drive it).
 */
export const STORAGE_CONSUMER: ConsumerOptions = {
  maxAttempts: 5,
  retryDelaysMs: [1_000, 10_000, 60_000, 300_000],
};
