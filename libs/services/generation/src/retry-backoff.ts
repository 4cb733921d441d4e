/** Longest pause between two attempts, before any Retry-After the provider asks for. */
const MAX_BACKOFF_SECONDS = 60;

/** Seconds to wait after attempt `attempt` failed: 1, 2, 4, ... up to a minute. */
export function retryBackoffSeconds(attempt: number): number {
  return Math.min(MAX_BACKOFF_SECONDS, 2 ** Math.max(0, attempt - 1));
}
