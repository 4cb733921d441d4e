/** What a background loop (relay, projection runner) reports about its progress. */
export interface LoopActivity {
  /** False while it waits for another instance's lock, or is not started: waiting is not stalling. */
  readonly active: boolean;
  /** When it last finished a round without error; undefined before the first. */
  readonly lastTickAt?: Date;
  /** When it became active (or started), so a loop that never ticked is judged from then. */
  readonly since?: Date;
}

/**
 * A loop that holds its lock (or runs) and has not finished a round for longer than
 * `thresholdMs` is stalled: stuck on a hung query, a broker that never confirms, or failing
 * round after round.
 */
export function isStalled(activity: LoopActivity, now: Date, thresholdMs: number): boolean {
  if (!activity.active) return false;
  const last = activity.lastTickAt ?? activity.since;
  if (!last) return false;
  return now.getTime() - last.getTime() > thresholdMs;
}

/** How long a loop polling every `pollIntervalMs` may go without a round: N polls, at least a floor. */
export function stallThresholdMs(pollIntervalMs: number, polls = 50, floorMs = 15_000): number {
  return Math.max(pollIntervalMs * polls, floorMs);
}
