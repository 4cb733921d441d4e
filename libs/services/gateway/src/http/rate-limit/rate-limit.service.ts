import { Inject, Injectable, Logger } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Sql } from '@darkroom/database';
import { systemClock, type Clock } from '@darkroom/kernel';
import { CLOCK, SQL } from '@darkroom/runtime';
import { GATEWAY_OPTIONS, type GatewayOptions, type RateLimitSettings } from '../../gateway.options';
import { rateLimitHeaders, secondsUntil, type RateLimitPolicy } from './rate-limit-headers';

export const DEFAULT_RATE_LIMIT: RateLimitSettings = { perMinute: 600, store: 'memory' };

/** The outcome for one request: headers to send, and when refused, how long to wait. */
export type RateLimitDecision =
  | { readonly allowed: true; readonly headers: Record<string, string> }
  | { readonly allowed: false; readonly headers: Record<string, string>; readonly retryAfterSeconds: number };

const WINDOW_SECONDS = 60;
/** A failing store is logged at most this often while it keeps failing. */
const STORE_ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * Fixed one-minute windows per API key, counted by rate-limiter-flexible. When the store
 * fails (the database is unreachable or slow), requests pass unlimited and the failure is
 * logged: an outage of the counter must not become an outage of the API.
 */
@Injectable()
export class RateLimitService {
  private readonly logger = new Logger(RateLimitService.name);
  private readonly limiter: RateLimiterAbstract | undefined;
  private readonly policy: RateLimitPolicy;
  private lastStoreErrorLog = 0;

  constructor(
    @Inject(GATEWAY_OPTIONS) options: GatewayOptions,
    @Inject(SQL) sql: Sql,
    @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {
    const settings = options.rateLimit ?? DEFAULT_RATE_LIMIT;
    this.policy = { limit: settings.perMinute, windowSeconds: WINDOW_SECONDS };
    if (settings.perMinute <= 0) return;
    const common = { points: settings.perMinute, duration: WINDOW_SECONDS, keyPrefix: 'api_key' };
    this.limiter =
      settings.store === 'postgres'
        ? new RateLimiterPostgres({
            ...common,
            // The `Sql` port answers pg's `{ text, values }` queries with `{ rows, rowCount }`, as a pg pool does.
            storeClient: { query: (query: { text: string; values?: unknown[] }) => sql.query(query.text, query.values) },
            storeType: 'pool',
            tableName: 'rate_limits',
            // Migration 1763900000008 creates it: gateways starting together would race on CREATE TABLE.
            tableCreated: true,
          })
        : new RateLimiterMemory(common);
  }

  get enabled(): boolean {
    return this.limiter !== undefined;
  }

  /** Counts one request of `keyId` against its bucket. */
  async consume(keyId: string): Promise<RateLimitDecision> {
    if (!this.limiter) return { allowed: true, headers: {} };
    try {
      const state = await this.limiter.consume(keyId);
      return { allowed: true, headers: this.headers(state) };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        return { allowed: false, headers: this.headers(rejection), retryAfterSeconds: secondsUntil(rejection.msBeforeNext) };
      }
      this.logStoreError(rejection);
      return { allowed: true, headers: {} };
    }
  }

  private headers(state: RateLimiterRes): Record<string, string> {
    return rateLimitHeaders(this.policy, { remaining: state.remainingPoints, msBeforeReset: state.msBeforeNext });
  }

  private logStoreError(error: unknown): void {
    const now = this.clock.now().getTime();
    if (now - this.lastStoreErrorLog < STORE_ERROR_LOG_INTERVAL_MS) return;
    this.lastStoreErrorLog = now;
    const message = error instanceof Error ? error.message : String(error);
    this.logger.warn(`rate limit store failed, letting requests through unlimited: ${message}`);
  }
}
