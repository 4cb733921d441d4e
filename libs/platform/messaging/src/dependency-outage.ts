/**
 * A handler failed because a dependency every handler needs (the database) is unreachable,
 * not because of its message: the consumer retries it for as long as the outage lasts without
 * spending one of its attempts (decision 0032). Thrown by the event transport after it has
 * seen the database itself not answer, so a socket error of anything else still counts.
 */
export class DependencyOutage extends Error {
  constructor(
    readonly dependency: 'database',
    options?: { cause?: unknown },
  ) {
    super(`${dependency} unreachable${options?.cause instanceof Error ? `: ${options.cause.message}` : ''}`, options);
    this.name = 'DependencyOutage';
  }
}
