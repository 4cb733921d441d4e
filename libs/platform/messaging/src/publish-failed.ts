/** Why the broker did not take a message: see `PublishFailed.reason`. */
export type PublishFailureReason = 'unroutable' | 'nacked' | 'timeout' | 'closed';

/**
 * `publish()` did not get every message safely into a queue. `unroutable`: returned by the
 * broker (no queue bound, not even the alternate exchange's); `nacked`: the broker refused
 * it; `timeout`/`closed`: no confirm arrived. Nothing is known to be lost, but the caller
 * must publish again (duplicates are fine: consumers are idempotent).
 */
export class PublishFailed extends Error {
  readonly code = 'publish_failed';

  constructor(
    readonly reason: PublishFailureReason,
    readonly eventIds: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`Publish ${reason}: ${eventIds.join(', ')}`, options);
    this.name = 'PublishFailed';
  }
}
