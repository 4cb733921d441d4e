import { Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { GATEWAY_OPTIONS, type GatewayOptions } from '../../gateway.options';
import { HttpProblem } from '../http-problem';
import { secondsUntil } from './rate-limit-headers';

/** Failed credentials one client address may present per minute before it is refused (429). */
export const DEFAULT_FAILED_AUTH_PER_MINUTE = 100;

const WINDOW_SECONDS = 60;

/**
 * Counts wrong API and admin keys per client address (`request.ip`: the socket's address,
 * or the forwarded one only where Express is told to trust a proxy) and refuses an address
 * past the limit until its window ends, before any key is looked up: a guesser costs a map
 * read, never a query. Counted in memory per process: the refusal must not need the store
 * it protects, and a gateway behind a balancer sees a share of the guesses anyway.
 */
@Injectable()
export class FailedAuthThrottle {
  private readonly failures: RateLimiterMemory | undefined;

  constructor(@Inject(GATEWAY_OPTIONS) options: GatewayOptions) {
    const perMinute = options.failedAuthPerMinute ?? DEFAULT_FAILED_AUTH_PER_MINUTE;
    if (perMinute > 0) this.failures = new RateLimiterMemory({ points: perMinute, duration: WINDOW_SECONDS, keyPrefix: 'failed_auth' });
  }

  /**
   * Throws the 429 (and sets `Retry-After`) when `address` has used up its failures; call
   * before looking at the key.
   */
  async refuseIfThrottled(address: string | undefined, response: Response): Promise<void> {
    if (!this.failures || address === undefined) return;
    const state = await this.failures.get(address);
    if (!state || state.consumedPoints < this.failures.points) return;
    const retryAfter = secondsUntil(state.msBeforeNext);
    response.setHeader('Retry-After', String(retryAfter));
    throw new HttpProblem(429, 'too_many_failed_auth', `Too many wrong keys from this address; retry in ${retryAfter} s.`, {
      retry_after: retryAfter,
    });
  }

  /** Counts one wrong key from `address`. */
  async recordFailure(address: string | undefined): Promise<void> {
    if (this.failures && address !== undefined) await this.failures.penalty(address, 1);
  }
}
